// SPDX-License-Identifier: MIT
/*
 * vpowercapd: measures the host's energy, splits it between the running
 * VMs every tick, and keeps per-VM counters that never go backwards.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/channel.h"
#include "common/clock.h"
#include "common/exporter.h"
#include "common/log.h"
#include "common/options.h"
#include "common/privs.h"
#include "common/proc.h"
#include "common/sensor.h"
#include "common/users.h"
#include "host/daemon_config.h"
#include "host/ledger.h"
#include "host/notify.h"
#include "host/report_build.h"
#include "host/libvirt_module.h"
#include "host/share.h"
#include "host/share_command.h"
#include "host/state.h"
#include "host/topology.h"
#include "host/treelink.h"
#include "host/vmlabels.h"
#include "host/vmpoll.h"
#include "host/vmsource.h"

/*
 * Save every this many ticks, but no more than once a second (at short
 * intervals a save, with its fsync and rename, costs more than the tick),
 * and whenever a counter passes its ceiling.
 */
#define SAVE_TICKS 5
#define SAVE_MIN_S 1.0
/* Forget a VM unlisted for this long (in ticks of the default second). */
#define RETAIN_TICKS (7 * 24 * 3600)

static volatile sig_atomic_t stop, reload;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_reload(int sig)
{
	(void)sig;
	reload = 1;
}

/* Either ends the wait for the next tick. */
static const volatile sig_atomic_t *const wake_flags[] = { &stop, &reload };

struct daemon {
	struct daemon_config cfg;
	int argc;
	char **argv;
	int flags_from;        /* argv index of the first flag, for reloads */
	int exporters_at;      /* argv index of the first exporter's name, 0: none */
	struct sensor *sensor;
	struct vm_source *source;
	struct vm_poller poller;
	bool polling;
	struct proc_table proc;  /* for its /proc descriptor */
	struct topology topology;  /* read at start; per package with two or more */
	uint64_t *cpu_busy;        /* each CPU's busy time at the last tick, clock ticks */
	uint64_t *cpu_busy_next;
	uint64_t package_busy_ns[TOPOLOGY_PACKAGES_MAX];
	struct ledger ledger;
	struct ledger_view view;   /* of the last tick: what the trees and reports show */
	bool view_ok;              /* taken after the ledger last changed */
	struct tree_link tree;     /* to the tree server; fd -1 when no tree is served */
	bool source_ready;         /* the VM source has answered once: trees may be fed */
	bool tree_lost;
	char channel_path[108];    /* the channels' socket, for the tree servers */
	bool reset_counters;   /* --reset-counters: start where the trees are when no state is usable */
	char channel_socket[108]; /* where qemu connects the channels ("": none) */
	struct vm_list vms;
	struct exporter_set exporters;
	struct report_build report;    /* the last report's zones and VMs */
	struct vm_label_book *labels;  /* NULL: no labels exported */
	struct complaint source_complaint;
	struct complaint stat_complaint;
	struct complaint slow_complaint;
	struct complaint save_complaint;  /* active while saves fail: counters stand at their ceilings */
	bool amd;              /* AMD's CPUs: their 'core' zone is one core's, the host's alone */
	int last_source_ret;
	uint64_t late_since;   /* when the source began to answer late; 0: it is not */
	double tick_s;         /* how long the last tick took, for the exporter */
};

static struct ledger_config ledger_config_of(struct daemon *d)
{
	return (struct ledger_config){
		.policy = (enum policy)d->cfg.policy,
		.idle_watts = daemon_config_idle_watts,
		.idle_arg = &d->cfg,
		.retain_ticks = (uint64_t)(RETAIN_TICKS / d->cfg.interval),
		.topology = topology_per_package(&d->topology) ? &d->topology : NULL,
		.core_host_only = d->amd,
	};
}

/* Ticks between periodic saves at the configured interval. */
static unsigned long save_ticks(const struct daemon *d)
{
	unsigned long per_s = (unsigned long)(SAVE_MIN_S / d->cfg.interval + 0.999);

	return per_s > SAVE_TICKS ? per_s : SAVE_TICKS;
}

/* Save the counters, each with a ceiling twice the time between saves ahead (state_save_or_hold). */
static int save_state(struct daemon *d)
{
	return state_save_or_hold(&d->ledger, d->cfg.state_dir, (unsigned)(2 * save_ticks(d)), &d->save_complaint);
}

/* Take the ledger's view once it changed: the trees and reports present it. */
static void take_view(struct daemon *d)
{
	d->view_ok = ledger_view_update(&d->view, &d->ledger) == 0;
	if (!d->view_ok)
		log_warning("out of memory: guests keep the previous tick's values");
}

static void publish(struct daemon *d);

/*
 * The tree server went away (@why: it died, or it handed over for an
 * upgrade, -ESHUTDOWN): the next one takes over the guests' connection,
 * which this daemon holds, and is fed at once. Without that connection,
 * or when the next one does not start, the daemon stops, so that a new
 * start starts the trees again.
 */
static void tree_server_gone(struct daemon *d, int why)
{
	static bool taking_over;  /* a takeover's own first feed failing: no second one from within */
	unsigned pid = d->tree.server_pid;

	if (taking_over) {
		d->tree_lost = true;
		return;
	}

	if (why == -ESHUTDOWN)
		log_info("the tree server (pid %u) hands the trees over: starting the next one", pid);
	else
		log_warning("the tree server (pid %u) went away (%s): starting the next one on the guests' "
			    "connection", pid, strerror(-why));
	if (tree_link_take_over(&d->tree) == 0) {
		taking_over = true;
		publish(d);
		taking_over = false;
		if (!d->tree_lost)
			return;
	}
	log_error(why, "the tree server (pid %u) went away: stopping, so that a new start starts it again", pid);
	d->tree_lost = true;
}

/*
 * Show the guests this tick's counters, all at once. Not before the VM
 * source has answered once: until then the tree server keeps serving what
 * the previous daemon fed it, rather than a tree without VMs.
 */
static void publish(struct daemon *d)
{
	int ret;

	if (tree_link_fd(&d->tree) < 0 || !d->source_ready || !d->view_ok)
		return;
	ret = tree_link_publish_view(&d->tree, &d->view);
	if (ret == -ENOMEM) {
		log_warning("out of memory: guests keep the previous tick's values");
		return;
	}
	if (ret < 0)
		tree_server_gone(d, ret);
}

/*
 * Report the step that just ended, @step_s long, with the tick whose reads
 * were at @read_wall (Unix time); then start a new one.
 */
static int daemon_report(struct daemon *d, double step_s, double read_wall)
{
	struct report r = {
		.source = sensor_source(d->sensor),
		.root = d->sensor->zones->root,
		.interval_s = step_s,
		.host = true,
		.tick_s = d->tick_s,
		.tree_served = tree_link_fd(&d->tree) >= 0,
		.tree_stall_s = d->tree.stall_s,
		.timestamp = read_wall,
		.vm_source = d->source->ops->name,
		.vm_source_up = d->last_source_ret >= 0,
		.state_saved = !complaint_active(&d->save_complaint),
		.wall_factor = d->cfg.wall_factor,
		.price_per_kwh = d->cfg.price_per_kwh,
		.currency = d->cfg.currency,
		.carbon_grams_per_kwh = d->cfg.carbon_grams_per_kwh,
	};
	int ret;

	if (!d->view_ok)
		return -ENOMEM;
	ret = report_build_fill(&d->report, &r, &d->view, d->labels, step_s);
	if (ret < 0)
		return ret;
	ret = exporter_set_write(&d->exporters, &r);
	report_build_done(&d->report);
	ledger_reset_step(&d->ledger);
	return ret;
}

/*
 * Read /proc/stat into @cpu, and on a host of several packages each CPU's
 * busy time into d->cpu_busy_next.
 */
static int read_stat(struct daemon *d, struct cpu_times *cpu)
{
	return proc_table_read_stat(&d->proc, cpu, d->cpu_busy_next, d->cpu_busy ? d->topology.ncpus : 0);
}

/* Each package's busy time since the last reading, into d->package_busy_ns. */
static void take_package_busy(struct daemon *d)
{
	uint64_t ns_per_tick = 1000000000ULL / (uint64_t)proc_clock_ticks(), *swap;

	memset(d->package_busy_ns, 0, sizeof(d->package_busy_ns));
	for (unsigned c = 0; c < d->topology.ncpus; c++) {
		int p = d->topology.cpu_package[c];
		uint64_t now = d->cpu_busy_next[c], then = d->cpu_busy[c];

		/* a CPU that went offline or came back counts from its next tick */
		if (p >= 0 && now != PROC_CPU_ABSENT && then != PROC_CPU_ABSENT && now >= then)
			d->package_busy_ns[p] += (now - then) * ns_per_tick;
	}
	swap = d->cpu_busy;
	d->cpu_busy = d->cpu_busy_next;
	d->cpu_busy_next = swap;
}

/*
 * Read zones, host CPU and VMs back to back, then split. The VM source is
 * asked from its own thread and waited for half a tick at most: a
 * late answer leaves the VMs' CPU time where it was (no dynamic energy this
 * tick), and counts at the next one.
 */
static void daemon_tick(struct daemon *d, struct cpu_times *prev_cpu, uint64_t interval_ns)
{
	struct cpu_times cpu;
	uint64_t busy_ns = 0, t0 = clock_mono_ns();
	bool package_busy = false;
	int ret, src;

	ret = read_stat(d, &cpu);
	sensor_sample(d->sensor, ret == 0 ? &cpu : prev_cpu, (double)interval_ns / 1e9);
	src = vm_poller_get(&d->poller, &d->vms, interval_ns / 2);
	if (src == -EAGAIN) {
		/* late now and then is normal; late for a second is worth a word */
		if (!d->late_since)
			d->late_since = t0;
		else if (t0 - d->late_since > 1000000000ULL)
			complain(&d->slow_complaint, LOG_LEVEL_WARNING,
				 "the %s VM source has been slow to answer for %.1f s; ticks go on without it",
				 d->source->ops->name, (double)(t0 - d->late_since) / 1e9);
		src = d->last_source_ret;
	} else {
		d->source_ready |= src >= 0;
		d->late_since = 0;
		complaint_release(&d->slow_complaint, "the %s VM source answers in time again",
				  d->source->ops->name);
		d->last_source_ret = src;
	}
	if (ret < 0) {
		complain(&d->stat_complaint, LOG_LEVEL_WARNING, "cannot read '%s/stat': %s",
			 d->cfg.proc_root, strerror(-ret));
		cpu = *prev_cpu;
	} else {
		complaint_release(&d->stat_complaint, "'%s/stat' readable again", d->cfg.proc_root);
		if (cpu.busy >= prev_cpu->busy)
			busy_ns = (cpu.busy - prev_cpu->busy) * (1000000000ULL / (uint64_t)proc_clock_ticks());
		if (d->cpu_busy) {
			take_package_busy(d);
			package_busy = true;
		}
	}
	if (src < 0)
		complain(&d->source_complaint, LOG_LEVEL_WARNING,
			 "the %s VM source is unavailable: VMs get no energy until it is back",
			 d->source->ops->name);
	else
		complaint_release(&d->source_complaint, "the %s VM source is back", d->source->ops->name);
	/* without this tick's per-CPU times, every zone is split host-wide */
	ledger_tick_packages(&d->ledger, d->sensor->zones, src < 0 ? NULL : &d->vms, busy_ns,
			     cpu.ncpu, package_busy ? d->package_busy_ns : NULL, interval_ns);
	*prev_cpu = cpu;
	d->tick_s = (double)(clock_mono_ns() - t0) / 1e9;
	take_view(d);
}

/*
 * The hook announced a domain to the tree server, which shows its directory
 * at once and hands the announcement on: into the ledger with it, so that
 * the next snapshot holds the domain for good.
 */
static void take_announcements(struct daemon *d)
{
	struct feed_announce a;
	int ret;

	while ((ret = tree_link_poll(&d->tree, &a)) > 0) {
		bool prepare = a.prepare != 0;

		if (ledger_announce(&d->ledger, a.uuid, a.name, prepare) < 0) {
			log_warning("out of memory: the announcement of '%s' waits", a.name);
			return;
		}
		tree_link_taken(&d->tree, &a);
		take_view(d);
		log_info("domain '%s' (%s) %s by the libvirt hook", a.name, a.uuid, prepare ? "starting" : "ended");
		if (prepare) {
			save_state(d);
			publish(d);
		}
	}
	if (ret < 0 && !d->tree_lost)
		tree_server_gone(d, ret);
}

/*
 * Wait for the next tick at @deadline_ns, taking the hook's announcements
 * meanwhile. False when a signal asks to stop or reload, or the tree server
 * is lost.
 */
static bool wait_until(struct daemon *d, uint64_t deadline_ns)
{
	if (tree_link_fd(&d->tree) < 0)
		return clock_sleep_until(deadline_ns, wake_flags, 2);
	/* Some may have come with the server's welcome, already read. */
	if (tree_link_buffered(&d->tree))
		take_announcements(d);
	while (!stop && !reload && !d->tree_lost) {
		uint64_t now = clock_mono_ns();
		struct pollfd pfd = { .fd = tree_link_fd(&d->tree), .events = POLLIN };
		struct timespec ts;

		if (now >= deadline_ns)
			return true;
		ts = clock_timespec(deadline_ns - now);
		if (ppoll(&pfd, 1, &ts, NULL) > 0)
			take_announcements(d);
	}
	return false;
}

/* SIGHUP: read the config file again, with the command line on top. */
static void daemon_reload(struct daemon *d)
{
	struct daemon_config cfg = daemon_defaults;
	struct options_parse parse;

	options_parse_init(&parse, &daemon_program, &cfg);
	if (options_parse_args(&parse, d->argc, d->argv, d->flags_from) < 0 ||
	    (d->exporters_at && exporter_parse_args(&parse, d->argc, d->argv, d->exporters_at,
						    cfg.exporter, sizeof(cfg.exporter)) != 0) ||
	    daemon_config_check(&cfg) < 0) {
		log_error(0, "reload: keeping the running configuration");
		return;
	}
	if (strcmp(cfg.powercap_root, d->cfg.powercap_root) || strcmp(cfg.proc_root, d->cfg.proc_root) ||
	    strcmp(cfg.sysfs_root, d->cfg.sysfs_root) ||
	    cfg.vm_source != d->cfg.vm_source || strcmp(cfg.libvirt_uri, d->cfg.libvirt_uri) ||
	    strcmp(cfg.state_dir, d->cfg.state_dir) || strcmp(cfg.user, d->cfg.user) ||
	    strcmp(cfg.reader_group, d->cfg.reader_group) || strcmp(cfg.qemu_users, d->cfg.qemu_users) ||
	    cfg.sensor != d->cfg.sensor || strcmp(cfg.mountpoint, d->cfg.mountpoint) ||
	    cfg.auto_attach != d->cfg.auto_attach || strcmp(cfg.labels, d->cfg.labels) ||
	    strcmp(cfg.label_file, d->cfg.label_file))
		log_warning("reload: sources, directories, labels and user change only on restart");
	d->cfg.policy = cfg.policy;
	memcpy(d->cfg.idle_watts, cfg.idle_watts, sizeof(cfg.idle_watts));
	d->cfg.interval = cfg.interval;
	/* prices and intensities change: they follow a reload */
	d->cfg.wall_factor = cfg.wall_factor;
	d->cfg.price_per_kwh = cfg.price_per_kwh;
	memcpy(d->cfg.currency, cfg.currency, sizeof(cfg.currency));
	d->cfg.carbon_grams_per_kwh = cfg.carbon_grams_per_kwh;
	{
		struct ledger_config lc = ledger_config_of(d);

		ledger_configure(&d->ledger, &lc);
	}
	log_info("reloaded: policy %s, interval %g s", policy_names[d->cfg.policy], d->cfg.interval);
}

/* The CPU time of the whole process (every thread), in seconds. */
static double process_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int daemon_run(struct daemon *d)
{
	struct cpu_times cpu;
	uint64_t start, last, now, next, due, max_late = 0;
	unsigned long ticks = 0, step_ticks = 1, max_ticks = 0, since_report = 0, since_save = 0;
	double step_start, cpu_start;
	int ret;

	if (d->exporters.n) {
		step_ticks = (unsigned long)(d->cfg.step / d->cfg.interval + 0.5);
		if (step_ticks == 0)
			step_ticks = 1;
		max_ticks = clock_ticks_for(d->cfg.timeout, d->cfg.interval);
	}
	ret = read_stat(d, &cpu);
	if (ret < 0)
		return log_error(ret, "cannot read '%s/stat': %s", d->cfg.proc_root, strerror(-ret));
	if (d->cpu_busy)
		take_package_busy(d);  /* the base of the first tick */
	sensor_sample(d->sensor, &cpu, 0);
	/*
	 * The first step runs from these reads: what follows (the VM source's
	 * first answer, a save with its fsync) can take long on a busy host,
	 * and a step timed from after it would show its energy as more power.
	 */
	start = last = clock_mono_ns();
	ret = vm_poller_get(&d->poller, &d->vms, 5000000000ULL);
	d->last_source_ret = ret;
	d->source_ready = ret >= 0;
	ledger_tick(&d->ledger, d->sensor->zones, ret < 0 ? NULL : &d->vms, 0, cpu.ncpu, 0);
	ledger_reset_step(&d->ledger);
	take_view(d);
	save_state(d);
	publish(d);
	/* the trees are mounted and hold the VMs found: libvirt may start domains */
	notify_ready();
	step_start = (double)start / 1e9;
	next = start;
	cpu_start = process_cpu_s();

	for (;;) {
		double read_wall;  /* when this tick's reads are made */

		next += (uint64_t)(d->cfg.interval * 1e9);
		due = next;
		/* Fallen behind (the host stalled us): tick once, not in a burst. */
		if (clock_mono_ns() > next)
			next = clock_mono_ns();
		if (!wait_until(d, next)) {
			if (stop || d->tree_lost)
				break;
			if (reload) {
				reload = 0;
				daemon_reload(d);
				next = clock_mono_ns();
				continue;
			}
		}
		now = clock_mono_ns();
		if (now > due && now - due > max_late)
			max_late = now - due;
		read_wall = report_clock();
		daemon_tick(d, &cpu, now - last);
		last = now;
		ticks++;
		/* Saved ceilings must cover every counter before anyone sees it. */
		if (d->ledger.dirty || ++since_save >= save_ticks(d)) {
			save_state(d);
			since_save = 0;
		}
		publish(d);
		if (d->tree_lost)
			break;
		if (d->exporters.n && ++since_report >= step_ticks) {
			double t = (double)now / 1e9;

			ret = daemon_report(d, t - step_start, read_wall);
			step_start = t;
			since_report = 0;
			if (ret < 0)
				break;
		}
		if (max_ticks && ticks >= max_ticks)
			break;
	}
	/* What a tick costs, all threads counted, and how late one started at worst. */
	if (ticks)
		log_info("%lu ticks: %.3f ms of CPU per tick, the latest started %.1f ms late", ticks,
			 (process_cpu_s() - cpu_start) * 1e3 / (double)ticks, (double)max_late / 1e6);
	ret = save_state(d);
	if (ret == 0)
		log_info("stopped; counters saved in '%s'", d->cfg.state_dir);
	return ret;
}

static void daemon_release(struct daemon *d)
{
	/* The tree server goes on serving the last snapshot until the next daemon. */
	tree_link_close(&d->tree);
	if (d->polling)
		vm_poller_stop(&d->poller);
	ledger_view_release(&d->view);
	exporter_set_release(&d->exporters);
	vm_source_free(d->source);
	sensor_free(d->sensor);
	proc_table_release(&d->proc);
	ledger_release(&d->ledger);
	topology_release(&d->topology);
	free(d->cpu_busy);
	free(d->cpu_busy_next);
	vm_list_release(&d->vms);
	report_build_release(&d->report);
	vm_label_book_free(d->labels);
}

/*
 * Read the CPU topology. A host of one package, or whose topology cannot
 * be read, has every zone split host-wide.
 */
static int open_topology(struct daemon *d)
{
	int ret = topology_read(&d->topology, d->cfg.sysfs_root);

	if (ret == -ENOMEM)
		return log_error(ret, "out of memory reading the CPU topology");
	if (ret < 0) {
		log_warning("cannot read the CPU topology below '%s': %s; every zone is split host-wide",
			    d->cfg.sysfs_root, strerror(-ret));
		return 0;
	}
	if (!topology_per_package(&d->topology))
		return 0;
	d->cpu_busy = calloc(d->topology.ncpus, sizeof(*d->cpu_busy));
	d->cpu_busy_next = calloc(d->topology.ncpus, sizeof(*d->cpu_busy_next));
	if (!d->cpu_busy || !d->cpu_busy_next)
		return log_error(-ENOMEM, "out of memory reading the CPU topology");
	for (unsigned p = 0; p < d->topology.npackages; p++) {
		const struct topology_package *pkg = &d->topology.packages[p];
		char die[24] = "";

		if (pkg->die_id >= 0)
			snprintf(die, sizeof(die), " die %d", pkg->die_id);
		log_info("package %d%s: %u CPUs; its zones go to the VMs that ran there", pkg->package_id,
			 die, pkg->ncpus);
	}
	return 0;
}

static int daemon_open(struct daemon *d)
{
	char host[CHANNEL_HOST_MAX];
	struct sensor_config sensor_cfg = {
		.powercap_root = d->cfg.powercap_root,
		.root_given = strcmp(d->cfg.powercap_root, daemon_defaults.powercap_root) != 0,
		.idle_watts_per_cpu = d->cfg.idle_watts_per_cpu,
		.max_watts_per_cpu = d->cfg.max_watts_per_cpu,
	};
	struct vm_source_config source_cfg = {
		.proc_root = d->cfg.proc_root,
		.qemu_users = d->cfg.qemu_users,
		.libvirt_uri = d->cfg.libvirt_uri,
		.auto_attach = d->cfg.auto_attach > 0,
		.auto_attach_live = d->cfg.auto_attach == AUTO_ATTACH_CHANNEL_LIVE,
		.auto_attach_transport = d->cfg.auto_attach == AUTO_ATTACH_VIRTIOFS ? SHARE_VIRTIOFS :
					 d->cfg.auto_attach >= AUTO_ATTACH_CHANNEL ? SHARE_CHANNEL : SHARE_9P,
		.share_dir = d->cfg.mountpoint,
		/* kept by the source: the daemon's, for as long as it runs */
		.channel_socket = daemon_config_channel_socket(&d->cfg, d->channel_socket, sizeof(d->channel_socket)),
	};
	struct ledger_config lc;
	bool fresh;
	int ret;

	ret = proc_table_init(&d->proc, d->cfg.proc_root);
	if (ret < 0)
		return log_error(ret, "cannot open proc root '%s': %s", d->cfg.proc_root, strerror(-ret));
	ret = open_topology(d);
	if (ret < 0)
		return ret;
	d->amd = proc_cpu_is_amd(d->proc.procfd);
	if (d->amd)
		log_info("AMD CPUs: a 'core' zone counts one core's energy, not the cores': it stays the host's "
			 "(unattributed), and VMs' trees leave it out");
	source_cfg.topology = topology_per_package(&d->topology) ? &d->topology : NULL;
	if (d->cfg.labels[0] && d->cfg.exporter[0]) {
		d->labels = vm_label_book_new(d->cfg.labels);
		if (!d->labels)
			return log_error(-ENOMEM, "out of memory");
		if (d->cfg.label_file[0] && (ret = vm_label_book_load(d->labels, d->cfg.label_file)) < 0)
			return ret;
		source_cfg.labels = d->labels;
	}
	lc = ledger_config_of(d);
	d->sensor = sensor_open(d->cfg.sensor, &sensor_cfg);
	if (!d->sensor)
		return -ENODEV;
	if (!sensor_is_estimate(d->sensor))
		log_info("reading powercap tree '%s' (%zu zones)", d->sensor->zones->root,
			 d->sensor->zones->nzones);
	d->source = vm_source_open(d->cfg.vm_source, &source_cfg);
	if (!d->source)
		return -ENODEV;
	ret = vm_poller_start(&d->poller, d->source);
	if (ret < 0)
		return log_error(ret, "cannot start the VM source's thread: %s", strerror(-ret));
	d->polling = true;
	ret = state_dir_prepare(d->cfg.state_dir, d->cfg.user);
	if (ret < 0)
		return ret;
	if (d->cfg.mountpoint[0] && (ret = tree_link_check_mountpoint(d->cfg.mountpoint, d->cfg.state_dir)) < 0)
		return ret;
	ledger_init(&d->ledger, &lc);
	ret = state_load(&d->ledger, d->cfg.state_dir);
	fresh = ret < 0;
	if (ret == -ENOENT) {
		ret = tree_link_seed_ledger(&d->ledger, d->cfg.state_dir, d->cfg.mountpoint[0],
					    sensor_is_estimate(d->sensor), false);
		if (ret < 0)
			return ret;
	} else if (ret < 0 && !d->reset_counters) {
		/* Starting from zero would show guests their counters going back. */
		return log_error(ret, "state: neither '%s/counters' nor '%s/counters.prev' is usable (see above): "
				 "move them aside to keep them, and start with --reset-counters to accept "
				 "that every VM's counters start again from zero", d->cfg.state_dir,
				 d->cfg.state_dir);
	} else if (ret < 0) {
		ret = tree_link_seed_ledger(&d->ledger, d->cfg.state_dir, d->cfg.mountpoint[0],
					    sensor_is_estimate(d->sensor), true);
		if (ret < 0)
			return ret;
	}
	ret = state_write_source(d->cfg.state_dir, daemon_config_host_id(&d->cfg, "/etc", host), fresh);
	if (ret < 0)
		return ret;
	/*
	 * Opened as root, like a log: its file may live where only root
	 * writes. Before the tree server is started or mounted, so that a port
	 * in use leaves nothing behind.
	 */
	if (d->cfg.exporter[0]) {
		struct exporter_config ec = { .file = d->cfg.file, .listen = d->cfg.listen,
					      .web_config = d->cfg.web_config, .net = &d->cfg.net,
					      .step = d->cfg.step };

		ret = exporter_set_open(&d->exporters, d->cfg.exporter, &ec);
		if (ret < 0)
			return ret;
	}
	if (d->cfg.mountpoint[0]) {
		char *channel = d->channel_path;  /* kept: a next tree server is started with it */
		struct tree_link_config tc = {
			.mountpoint = d->cfg.mountpoint,
			.state_dir = d->cfg.state_dir,
			.control_socket = d->cfg.control_socket,
			.user = d->cfg.user,
			.reader_group = daemon_config_reader_group(d->cfg.reader_group),
			.channel_socket = daemon_config_channel_socket(&d->cfg, channel, sizeof(d->channel_path)),
		};

		gid_t gid;

		if (tc.reader_group[0] && users_find_group(tc.reader_group, &gid) < 0)
			return log_error(-ENOENT, "reader group '%s' does not exist (create it, name another "
					 "with --reader-group, or leave it empty for root only)", tc.reader_group);
		ret = tree_link_open(&d->tree, &tc);
		if (ret < 0)
			return ret;
	}
	/* Everything after this works unprivileged: descriptors are open. */
	ret = privs_drop(d->cfg.user, false);
	if (ret < 0)
		return ret;
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { .cfg = daemon_defaults, .argc = argc, .argv = argv, .flags_from = 1,
			    .proc = { .procfd = -1, .statfd = -1 }, .tree = { .fd = -1 } };
	struct sigaction sa_stop = { .sa_handler = on_stop }, sa_reload = { .sa_handler = on_reload };
	struct options_parse parse;
	int ret, next;

	alloc_one_arena();
	log_set_program("vpowercapd");
	/*
	 * --reset-counters is for one start, after a look at the damaged
	 * state: a flag of the command line alone, never a config key that
	 * could stay set. Taken out before the options are parsed.
	 */
	for (int i = 1, j = 1; i <= argc; i++) {
		if (i < argc && !strcmp(argv[i], "--reset-counters"))
			d.reset_counters = true;
		else
			argv[j++] = argv[i];
		if (i == argc)
			d.argc = argc = j - 1;
	}
	options_parse_init(&parse, &daemon_program, &d.cfg);
	next = options_parse_args(&parse, argc, argv, 1);
	if (next == -EAGAIN)
		return 0;
	if (next < 0)
		return 2;
	if (next < argc && (!strcmp(argv[next], "attach") || !strcmp(argv[next], "detach")))
		return share_command_run(&d.cfg, argc, argv, next);
	if (next < argc && (!strcmp(argv[next], "status") || !strcmp(argv[next], "unmount") ||
			    !strcmp(argv[next], "upgrade-tree-server"))) {
		ret = options_parse_tail(&parse, argc, argv, next + 1);
		if (ret)
			return ret > 0 ? 0 : 2;
		return tree_link_admin(d.cfg.state_dir, !strcmp(argv[next], "status") ? TREE_ADMIN_STATUS :
					!strcmp(argv[next], "unmount") ? TREE_ADMIN_UNMOUNT : TREE_ADMIN_HANDOVER);
	}
	if (next < argc) {
		if (exporter_kind_of(argv[next]) < 0) {
			log_error(0, "unknown command or exporter '%s' (see --help)", argv[next]);
			return 2;
		}
		d.exporters_at = next;
		ret = exporter_parse_args(&parse, argc, argv, next, d.cfg.exporter, sizeof(d.cfg.exporter));
		if (ret)
			return ret > 0 ? 0 : 2;
	}
	if (daemon_config_check(&d.cfg) < 0)
		return 2;
	if (d.cfg.exporter[0]) {
		struct exporter_config ec = { .file = d.cfg.file, .listen = d.cfg.listen,
					      .web_config = d.cfg.web_config, .net = &d.cfg.net,
					      .step = d.cfg.step };

		if (exporter_set_check(d.cfg.exporter, &ec) < 0)
			return 2;
	}

	sigaction(SIGINT, &sa_stop, NULL);
	sigaction(SIGTERM, &sa_stop, NULL);
	sigaction(SIGHUP, &sa_reload, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = daemon_open(&d);
	if (ret == 0)
		ret = daemon_run(&d);
	if (ret == 0 && d.tree_lost)
		ret = -EPIPE;
	daemon_release(&d);
	return ret < 0 ? 1 : 0;
}
