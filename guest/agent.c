// SPDX-License-Identifier: MIT
/*
 * vpowercap-agent: the machine's power per zone and per process, from a
 * powercap tree (real, or a VM's share of its host's) or an estimate.
 */
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/container_names.h"
#include "common/exporter.h"
#include "common/log.h"
#include "common/options.h"
#include "common/proc.h"
#include "guest/process_power.h"
#include "common/sensor.h"

/* Where the guest mount units put the VM's share, then bare metal's tree. */
static const char *const default_roots[] = {
	"/run/vpowercap-guest",
	"/sys/class/powercap",
};

struct agent_config {
	char powercap_root[PATH_MAX];  /* empty: the first of default_roots found */
	char proc_root[PATH_MAX];
	int sensor;
	int machine;                   /* MACHINE_AUTO, MACHINE_HOST, MACHINE_GUEST */
	char exporter[128];            /* "prometheus,riemann"; empty: none chosen */
	double step;
	double timeout;                /* 0: run until signalled */
	unsigned processes;
	unsigned cgroups;
	char regex[256];
	bool containers;               /* label processes by container, sum containers and pods */
	char container_regex[256];
	char container_sockets[512];   /* the Docker-compatible API's sockets, for names */
	char file[PATH_MAX];
	double idle_watts_per_cpu;
	double max_watts_per_cpu;
	char listen[512];              /* prometheus: ADDR:PORT,... */
	char web_config[PATH_MAX];     /* prometheus: TLS and basic auth; empty: none */
	struct exporter_net_options net; /* prometheus-push, riemann, warp10 */
};

enum { MACHINE_AUTO, MACHINE_HOST, MACHINE_GUEST };
static const char *const machine_names[] = { "auto", "host", "guest", NULL };

#define OPTIONS_STRUCT struct agent_config
static const struct option_spec agent_specs[] = {
	OPT_STRING("agent", "powercap_root", 0, powercap_root, "DIR",
		   "powercap tree to read (default: /run/vpowercap-guest, else /sys/class/powercap)"),
	OPT_STRING("agent", "proc_root", 0, proc_root, "DIR", "proc filesystem to read"),
	OPT_CHOICE("agent", "sensor", 0, sensor, sensor_kind_names, "where power comes from"),
	OPT_CHOICE("agent", "machine", 0, machine, machine_names,
		   "what the agent measures: a host (bare metal), or a guest (a VM, from its share); "
		   "auto: a guest unless the tree read is sysfs (or, estimating, the CPU has no hypervisor)"),
	OPT_LIST_CHOICES("agent", "exporter", 0, exporter, exporter_kind_names,
			 "exporters when none is named on the command line, comma-separated"),
	OPT_OUTPUT_STEP(step, 0.01, "seconds between measurements"),
	OPT_OUTPUT_TIMEOUT(timeout, ""),
	OPT_UNSIGNED("output", "processes", 'n', processes, 0, 100000, "N",
		     "show the top N processes by power"),
	OPT_UNSIGNED("output", "cgroups", 0, cgroups, 0, 100000, "N",
		     "prometheus: export the top N cgroups (units, containers) by power"),
	OPT_STRING("output", "regex", 0, regex, "REGEX",
		   "only processes whose name matches this extended regex"),
	OPT_BOOL("output", "containers", 0, containers,
		 "label processes with their container, pod and systemd unit from their cgroup, "
		 "and show the power of each container and pod"),
	OPT_STRING("output", "container_regex", 0, container_regex, "REGEX",
		   "with --containers: only processes and containers whose container name or id "
		   "matches this extended regex"),
	OPT_LIST("output", "container_sockets", 0, container_sockets, "PATH",
		 "with --containers: Docker-compatible API sockets to ask for container names, "
		 "where readable"),
	OPT_OUTPUT_FILE(file),
	OPT_ESTIMATE(idle_watts_per_cpu, max_watts_per_cpu),
	OPT_PROMETHEUS(listen, web_config),
	OPT_NETWORK_EXPORTERS(net),
};
#undef OPTIONS_STRUCT

static const struct agent_config agent_defaults = {
	.proc_root = "/proc",
	.sensor = SENSOR_AUTO,
	.step = 1.0,
	.processes = 10,
	.cgroups = 10,
	.container_sockets = "/var/run/docker.sock,/run/podman/podman.sock",
	.listen = "0.0.0.0:9811",
	.idle_watts_per_cpu = 2.0,
	.max_watts_per_cpu = 10.0,
	.net = { .queue = EXPORTER_QUEUE_DEFAULT, .push_job = "vpowercap" },
};

static const struct options_program agent_program = {
	.name = "vpowercap-agent",
	.synopsis = "[options] EXPORTER [options] [EXPORTER [options]]...\n"
		    "       EXPORTER: stdout, json, prometheus, prometheus-push, riemann, warp10",
	.default_config = "/etc/vpowercap/agent.conf",
	.specs = agent_specs,
	.nspecs = sizeof(agent_specs) / sizeof(agent_specs[0]),
	.defaults = &agent_defaults,
};

static volatile sig_atomic_t stop, reload;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_reload(int sig)
{
	(void)sig;
	reload = 1;
}

/* What ends the wait for the next step. */
static const volatile sig_atomic_t *const stop_flags[] = { &stop, &reload };

/* The root to read when none was given: the VM's share first, if mounted. */
static const char *pick_root(const struct agent_config *cfg)
{
	struct stat st;

	if (cfg->powercap_root[0])
		return cfg->powercap_root;
	for (size_t i = 0; i < sizeof(default_roots) / sizeof(default_roots[0]); i++) {
		struct powercap *pc;

		if (stat(default_roots[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		pc = powercap_open(default_roots[i]);
		if (pc) {
			powercap_free(pc);
			return default_roots[i];
		}
	}
	return default_roots[sizeof(default_roots) / sizeof(default_roots[0]) - 1];
}

/* Whether @proc_root/cpuinfo says the CPU runs under a hypervisor. */
static bool cpu_has_hypervisor(const char *proc_root)
{
	char path[PATH_MAX + 16], *line = NULL;
	size_t size = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cpuinfo", proc_root);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && getline(&line, &size, f) >= 0)
		found = !strncmp(line, "flags", 5) && strstr(line, " hypervisor");
	free(line);
	fclose(f);
	return found;
}

struct agent {
	struct agent_config cfg;
	bool guest;            /* the machine measured is a VM (see measures_guest) */
	int argc;              /* the command line, read again on SIGHUP */
	char **argv;
	int exporters_at;      /* argv index of the first exporter's name, or 0 */
	struct sensor *sensor;
	struct proc_table procs;
	struct exporter_set exporters;
	regex_t filter;
	bool have_filter;
	regex_t container_filter;
	bool have_container_filter;
	struct container_resolver *resolver;  /* --containers: names, where a socket answers */
	struct container_sums container_sums;
	struct complaint container_complaint;
	struct report_zone *zones;
	size_t zones_alloc;
	struct report_process *top;
	struct process_energy_table energy;
	struct cgroup_scratch cgroup_scratch;
	struct report_cgroup *cgroups;
};

/*
 * Whether the agent measures a VM from inside. --machine auto decides by
 * the tree read: sysfs is a host's, anything else (a share over 9p or
 * virtiofs, the channel's tree) a VM's; estimating, by the CPU's
 * hypervisor flag.
 */
static bool measures_guest(const struct agent *a)
{
	struct statfs sf;

	if (a->cfg.machine != MACHINE_AUTO)
		return a->cfg.machine == MACHINE_GUEST;
	if (sensor_is_estimate(a->sensor))
		return cpu_has_hypervisor(a->cfg.proc_root);
	return statfs(a->sensor->zones->root, &sf) == 0 && sf.f_type != SYSFS_MAGIC;
}

/*
 * Report the interval that ended at the reads stamped @read_wall (Unix
 * time); @tick_start is when those reads began on the monotonic clock.
 */
static int agent_step(struct agent *a, const struct cpu_times *prev_cpu,
		      const struct cpu_times *cpu, double interval,
		      double tick_start, double read_wall)
{
	const struct powercap *pc = a->sensor->zones;
	struct report r = {
		.timestamp = read_wall,
		.interval_s = interval,
		.source = sensor_source(a->sensor),
		.root = pc->root,
		.guest = a->guest,
	};
	/* a share whose host estimates names its zone so: the figures are an estimate */
	for (size_t i = 0; i < pc->nzones; i++) {
		size_t n = strlen(pc->zones[i].name);

		if (n > 9 && !strcmp(pc->zones[i].name + n - 9, "-estimate"))
			r.source = "estimate";
	}
	struct process_select sel = {
		.comm = a->have_filter ? &a->filter : NULL,
		.containers = a->cfg.containers,
		.container = a->have_container_filter ? &a->container_filter : NULL,
	};
	uint64_t total_uj;
	int ret;

	if (ALLOC_GROW(a->zones, pc->nzones, a->zones_alloc) < 0)
		return log_error(-ENOMEM, "out of memory");
	for (size_t i = 0; i < pc->nzones; i++) {
		const struct zone *z = &pc->zones[i];

		a->zones[i] = (struct report_zone){
			.id = z->id,
			.name = z->name,
			.depth = z->depth,
			.valid = z->valid,
			.power_w = (double)z->delta_uj / 1e6 / interval,
			.energy_j = (double)z->energy_uj / 1e6,
		};
	}
	r.zones = a->zones;
	r.nzones = pc->nzones;
	r.host_valid = powercap_total_delta(pc, &total_uj);
	r.host_power_w = (double)total_uj / 1e6 / interval;
	if (r.host_valid && cpu->busy >= prev_cpu->busy) {
		uint64_t dbusy = cpu->busy - prev_cpu->busy;

		if (a->resolver)
			sel.names = container_resolver_get(a->resolver);
		r.nprocesses = process_power_select(&a->procs, dbusy, r.host_power_w, interval, &sel,
						    a->top, a->cfg.processes);
		if (sel.containers) {
			if (process_power_containers(&a->procs, dbusy, r.host_power_w, total_uj, &sel,
						     &a->container_sums, &r) < 0)
				complain(&a->container_complaint, LOG_LEVEL_WARNING,
					 "out of memory: no container figures");
			else
				complaint_release(&a->container_complaint, "container figures again");
		}
		process_energy_update(&a->energy, &a->procs, dbusy, total_uj, a->top, r.nprocesses);
		if (a->cgroups)
			r.ncgroups = process_power_cgroups(&a->procs, dbusy, r.host_power_w,
							   &a->cgroup_scratch, a->cgroups, a->cfg.cgroups);
	}
	r.processes = a->top;
	r.cgroups = a->cgroups;
	r.containers = sel.containers;
	r.tick_s = clock_mono_s() - tick_start;
	ret = exporter_set_write(&a->exporters, &r);
	if (sel.names)
		container_resolver_put(a->resolver, sel.names);
	return ret;
}

/* @text compiled into @re, when not empty; false after logging a bad one. */
static bool compile_filter(regex_t *re, const char *text, const char *flag)
{
	char why[128];
	int ret;

	if (!text[0])
		return true;
	ret = regcomp(re, text, REG_EXTENDED | REG_NOSUB);
	if (ret) {
		regerror(ret, re, why, sizeof(why));
		log_error(0, "bad %s '%s': %s", flag, text, why);
		return false;
	}
	return true;
}

/* @re replaced by @fresh (compiled from @text, or nothing when it is empty). */
static void swap_filter(regex_t *re, bool *have, regex_t *fresh, const char *text)
{
	if (*have)
		regfree(re);
	*have = text[0] != '\0';
	if (*have)
		*re = *fresh;
}

/* The regex filters of @cfg into @a; false after logging a bad one. */
static bool agent_set_filter(struct agent *a, const struct agent_config *cfg)
{
	regex_t filter, container_filter;

	if (!compile_filter(&filter, cfg->regex, "--regex"))
		return false;
	if (!compile_filter(&container_filter, cfg->container_regex, "--container-regex")) {
		if (cfg->regex[0])
			regfree(&filter);
		return false;
	}
	swap_filter(&a->filter, &a->have_filter, &filter, cfg->regex);
	swap_filter(&a->container_filter, &a->have_container_filter, &container_filter,
		    cfg->container_regex);
	return true;
}

/* Options a reload applies; the others need a restart. */
static bool same_restart_options(const struct agent_config *x, const struct agent_config *y)
{
	return !strcmp(x->powercap_root, y->powercap_root) && !strcmp(x->proc_root, y->proc_root) &&
	       x->sensor == y->sensor && !strcmp(x->exporter, y->exporter) && x->step == y->step &&
	       x->timeout == y->timeout && x->processes == y->processes && x->cgroups == y->cgroups &&
	       x->idle_watts_per_cpu == y->idle_watts_per_cpu &&
	       x->max_watts_per_cpu == y->max_watts_per_cpu && !strcmp(x->listen, y->listen) &&
	       !strcmp(x->web_config, y->web_config) && !memcmp(&x->net, &y->net, sizeof(x->net)) &&
	       x->containers == y->containers && !strcmp(x->container_sockets, y->container_sockets);
}

/*
 * SIGHUP: read the config file again, with the command line on top, apply
 * the process filter, and reopen the output file (after logrotate moved
 * it), by its new name if the file key changed. A bad file keeps the
 * running configuration.
 */
static void agent_reload(struct agent *a)
{
	struct agent_config cfg = agent_defaults;
	struct exporter_config exporter_cfg;
	struct options_parse parse;
	int next;

	options_parse_init(&parse, &agent_program, &cfg);
	next = options_parse_args(&parse, a->argc, a->argv, 1);
	if (next >= 0 && a->exporters_at)
		next = exporter_parse_args(&parse, a->argc, a->argv, a->exporters_at, cfg.exporter,
					   sizeof(cfg.exporter)) ? -EINVAL : 0;
	if (next < 0 || !agent_set_filter(a, &cfg)) {
		log_error(0, "reload: keeping the running configuration");
		return;
	}
	/* named on the command line, or the file's at start */
	memcpy(cfg.exporter, a->cfg.exporter, sizeof(cfg.exporter));
	if (!same_restart_options(&cfg, &a->cfg))
		log_warning("reload: only regex, container_regex and file change without a restart");
	memcpy(a->cfg.regex, cfg.regex, sizeof(cfg.regex));
	memcpy(a->cfg.container_regex, cfg.container_regex, sizeof(cfg.container_regex));
	memcpy(a->cfg.file, cfg.file, sizeof(cfg.file));
	exporter_cfg = (struct exporter_config){ .file = a->cfg.file, .listen = a->cfg.listen,
						  .web_config = a->cfg.web_config, .net = &a->cfg.net,
						  .step = a->cfg.step };
	if (exporter_set_reopen(&a->exporters, &exporter_cfg) < 0)
		log_error(0, "reload: the output stays where it was");
	log_info("reloaded");
}

static int agent_run(struct agent *a)
{
	struct cpu_times cpu, prev_cpu;
	struct complaint stat_complaint = COMPLAINT_INIT;
	double last, now, tick_start, read_wall;
	uint64_t start_ns, step_ns = (uint64_t)(a->cfg.step * 1e9);
	unsigned long steps = 0, max_steps;
	int ret;

	max_steps = clock_ticks_for(a->cfg.timeout, a->cfg.step);
	/* Zones, machine CPU and processes are read back to back. */
	ret = proc_table_read_stat(&a->procs, &prev_cpu, NULL, 0);
	if (ret < 0)
		return log_error(ret, "cannot read '%s/stat': %s", a->cfg.proc_root, strerror(-ret));
	sensor_sample(a->sensor, &prev_cpu, 0);
	proc_table_scan(&a->procs);
	start_ns = clock_mono_ns();
	last = (double)start_ns / 1e9;

	for (;;) {
		if (!clock_sleep_until(start_ns + (steps + 1) * step_ns, stop_flags, 2)) {
			if (stop || !reload)
				break;  /* stopped, or the clock cannot sleep */
			reload = 0;
			agent_reload(a);
			continue;
		}
		steps++;
		tick_start = clock_mono_s();
		ret = proc_table_read_stat(&a->procs, &cpu, NULL, 0);
		if (ret < 0) {
			complain(&stat_complaint, LOG_LEVEL_WARNING, "cannot read '%s/stat': %s",
				 a->cfg.proc_root, strerror(-ret));
			continue;
		}
		complaint_release(&stat_complaint, "'%s/stat' readable again", a->cfg.proc_root);
		now = clock_mono_s();
		read_wall = report_clock();
		sensor_sample(a->sensor, &cpu, now - last);
		proc_table_scan(&a->procs);
		ret = agent_step(a, &prev_cpu, &cpu, now - last, tick_start, read_wall);
		if (ret < 0)
			return ret == -EIO ? 0 : ret;  /* the reader went away: done */
		prev_cpu = cpu;
		last = now;
		if (max_steps && steps >= max_steps)
			break;
	}
	return 0;
}

static void agent_release(struct agent *a)
{
	exporter_set_release(&a->exporters);
	container_resolver_free(a->resolver);
	container_sums_release(&a->container_sums);
	if (a->have_container_filter)
		regfree(&a->container_filter);
	sensor_free(a->sensor);
	proc_table_release(&a->procs);
	if (a->have_filter)
		regfree(&a->filter);
	free(a->zones);
	free(a->top);
	free(a->cgroups);
	process_energy_release(&a->energy);
	cgroup_scratch_release(&a->cgroup_scratch);
}

int main(int argc, char **argv)
{
	struct agent a = {
		.cfg = agent_defaults,
		.procs = { .procfd = -1, .statfd = -1 },
		.container_complaint = COMPLAINT_INIT,
	};
	struct sigaction sa = { .sa_handler = on_signal }, sa_reload = { .sa_handler = on_reload };
	struct sensor_config sensor_cfg;
	struct exporter_config exporter_cfg;
	struct options_parse parse;
	int ret, next;

	alloc_one_arena();
	log_set_program("vpowercap-agent");
	a.argc = argc;
	a.argv = argv;
	options_parse_init(&parse, &agent_program, &a.cfg);
	next = options_parse_args(&parse, argc, argv, 1);
	if (next == -EAGAIN)
		return 0;
	if (next < 0)
		return 2;
	if (next < argc) {
		ret = exporter_parse_args(&parse, argc, argv, next, a.cfg.exporter, sizeof(a.cfg.exporter));
		if (ret)
			return ret > 0 ? 0 : 2;
		a.exporters_at = next;
	}
	if (!a.cfg.exporter[0]) {
		log_error(0, "no exporter given: say 'stdout', 'json', 'prometheus', 'prometheus-push', "
			  "'riemann' or 'warp10' (see --help)");
		return 2;
	}
	if (a.cfg.max_watts_per_cpu < a.cfg.idle_watts_per_cpu) {
		log_error(0, "max_watts_per_cpu (%g) is below idle_watts_per_cpu (%g)",
			  a.cfg.max_watts_per_cpu, a.cfg.idle_watts_per_cpu);
		return 2;
	}
	if (!agent_set_filter(&a, &a.cfg))
		return 2;
	exporter_cfg = (struct exporter_config){ .file = a.cfg.file, .listen = a.cfg.listen,
						  .web_config = a.cfg.web_config, .net = &a.cfg.net,
						  .step = a.cfg.step };
	if (exporter_set_check(a.cfg.exporter, &exporter_cfg) < 0)
		return 2;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa_reload, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = proc_table_init(&a.procs, a.cfg.proc_root);
	if (ret < 0) {
		log_error(ret, "cannot open proc root '%s': %s", a.cfg.proc_root, strerror(-ret));
		goto out;
	}
	if (a.cfg.containers) {
		a.procs.want_labels = true;
		a.resolver = container_resolver_start(a.cfg.container_sockets, CONTAINER_NAMES_INTERVAL,
						      CONTAINER_API_TIMEOUT);
		if (!a.resolver) {
			ret = -ENOMEM;
			goto out;
		}
	} else if (a.cfg.container_regex[0]) {
		log_warning("--container-regex has no effect without --containers");
	}
	sensor_cfg = (struct sensor_config){
		.powercap_root = pick_root(&a.cfg),
		.root_given = a.cfg.powercap_root[0] != '\0',
		.idle_watts_per_cpu = a.cfg.idle_watts_per_cpu,
		.max_watts_per_cpu = a.cfg.max_watts_per_cpu,
	};
	a.sensor = sensor_open(a.cfg.sensor, &sensor_cfg);
	if (!a.sensor) {
		ret = -ENODEV;
		goto out;
	}
	if (!sensor_is_estimate(a.sensor))
		log_info("reading powercap tree '%s' (%zu zones)", a.sensor->zones->root,
			 a.sensor->zones->nzones);
	a.guest = measures_guest(&a);
	log_info("measuring %s", a.guest ? "a guest: the VM's power, as its host attributes it"
					 : "a host: the machine's power");
	a.top = calloc(a.cfg.processes ? a.cfg.processes : 1, sizeof(*a.top));
	/* Only the Prometheus exporters show cgroups: others skip reading them. */
	if ((exporter_list_has(a.cfg.exporter, EXPORTER_PROMETHEUS) ||
	     exporter_list_has(a.cfg.exporter, EXPORTER_PROMETHEUS_PUSH)) && a.cfg.cgroups) {
		a.cgroups = calloc(a.cfg.cgroups, sizeof(*a.cgroups));
		if (!a.cgroups) {
			free(a.top);
			a.top = NULL;  /* out of memory, said below */
		}
	}
	if (!a.top) {
		ret = log_error(-ENOMEM, "out of memory");
		goto out;
	}
	ret = exporter_set_open(&a.exporters, a.cfg.exporter, &exporter_cfg);
	if (ret < 0)
		goto out;
	ret = agent_run(&a);
out:
	agent_release(&a);
	return ret < 0 ? 1 : 0;
}
