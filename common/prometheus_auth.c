// SPDX-License-Identifier: MIT
/* Basic auth of a Prometheus request, its connection suspended while its password is checked (common/prometheus_auth_i.h). */
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/prometheus_auth_i.h"

/*
 * A request whose password is being checked (web_config_check_async): its
 * connection is suspended until the answer, and resumed by the checker.
 * The request's context from then on, freed when it completes.
 */
struct auth_wait {
	struct MHD_Connection *conn;
	pthread_mutex_t lock;
	bool answered;         /* the checker has set answer */
	bool suspended;        /* the handler suspended conn: the checker resumes it */
	enum web_auth answer;
};

static void on_checked(void *arg, enum web_auth answer)
{
	struct auth_wait *w = arg;
	bool resume;

	pthread_mutex_lock(&w->lock);
	w->answer = answer;
	w->answered = true;
	resume = w->suspended;
	pthread_mutex_unlock(&w->lock);
	if (resume)
		MHD_resume_connection(w->conn);
}

void prometheus_auth_free(struct auth_wait *w)
{
	pthread_mutex_destroy(&w->lock);
	free(w);
}

enum web_auth prometheus_auth_start(struct web_config *web, struct MHD_Connection *conn, struct auth_wait **wp)
{
	struct auth_wait *w = calloc(1, sizeof(*w));
	char *password = NULL;
	char *user;
	enum web_auth ok = WEB_AUTH_DENIED;

	*wp = w;
	if (!w)
		return WEB_AUTH_BUSY;
	w->conn = conn;
	w->answer = WEB_AUTH_DENIED;  /* until told otherwise */
	pthread_mutex_init(&w->lock, NULL);
	user = MHD_basic_auth_get_username_password(conn, &password);
	if (user && password) {
		ok = web_config_check_async(web, user, password, on_checked, w);
		/*
		 * Suspended only while the check is under way: a checker that
		 * answered already (between the queue and here) is taken at once,
		 * and one that answers later finds the connection suspended.
		 */
		if (ok == WEB_AUTH_PENDING) {
			pthread_mutex_lock(&w->lock);
			if (w->answered) {
				ok = w->answer;
			} else {
				MHD_suspend_connection(conn);
				w->suspended = true;
			}
			pthread_mutex_unlock(&w->lock);
		}
	}

	if (password) {
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	/* never written here while pending: the checker owns the answer then */
	if (ok != WEB_AUTH_PENDING)
		w->answer = ok;
	return ok;
}

enum web_auth prometheus_auth_answer(struct auth_wait *w)
{
	enum web_auth answer;

	/* resumed: the checker answered before it resumed; or answered at once */
	pthread_mutex_lock(&w->lock);
	answer = w->answered || !w->suspended ? w->answer : WEB_AUTH_PENDING;
	pthread_mutex_unlock(&w->lock);
	return answer;
}
