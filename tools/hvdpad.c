// SPDX-License-Identifier: MIT
/*
 * hvdpad: serves virtio devices over VDUSE.
 *
 *   hvdpad [--state-dir DIR] --blk name=NAME,path=PATH[,readonly=on][,queues=N]
 *          [,queue-size=N][,serial=STR][,attach=virtio|vhost|none] ...
 *          --net name=NAME,tap=TAP[,mac=MAC][,mtu=N][,queue-size=N][,attach=...] ...
 *          [--config FILE|DIR] ...
 *
 * Everything the command line and its config files ask for is checked
 * before any device is created; a bad argument is one line on stderr
 * (naming the file and line for a config file) and exit status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvdpa/blk.h"
#include "hvdpa/log.h"
#include "hvdpa/loop.h"
#include "hvdpa/net.h"
#include "hvdpa/vdpa.h"
#include "hvdpa/vduse.h"
#include "hvdpa/version.h"
#include "hvdpa/control_client.h"
#include "hvdpa/control_server.h"
#include "hvdpad.h"
#include "hvdpad_conf.h"
#include "hvdpad_control.h"
#include "sd_notify.h"

#define EXIT_USAGE 2

const char *state_dir = HV_VDUSE_STATE_DIR;
static const char *control_path = HV_CONTROL_DEFAULT;
static struct hv_control_server control = {.fd = -1};
static bool control_given;
static int quit;
static int exit_status;
/* A device thread that fails asks the main thread to shut down here. */
static int quit_fd = -1;

void hvdpad_request_quit(int status)
{
	uint64_t one = 1;

	if (status)
		__atomic_store_n(&exit_status, status, __ATOMIC_RELAXED);
	__atomic_store_n(&quit, 1, __ATOMIC_RELEASE);
	if (quit_fd >= 0 && write(quit_fd, &one, sizeof(one)) < 0)
		hv_err("cannot wake the main thread: %s", strerror(errno));
}

static bool quitting(void)
{
	return __atomic_load_n(&quit, __ATOMIC_ACQUIRE);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hvdpad [-v] [--state-dir DIR] [--control PATH|none] --blk "
		"name=NAME,path=PATH[,readonly=on]"
		"[,queues=N][,queue-size=N][,serial=STR][,attach=virtio|vhost|none] [--blk ...]\n"
		"       (or --blk name=NAME,null=on,size=SIZE[,...]: no storage, for "
		"benchmarks)\n"
		"       (or --blk name=NAME,nbd=URI[,timeout=S][,...]: an NBD export)\n"
		"       (or --blk name=NAME,rbd=POOL/IMAGE[@SNAP][,ceph-conf=PATH][,ceph-id=NAME]"
		"[,timeout=S][,...]: a Ceph RBD image)\n"
		"       --net name=NAME,tap=TAP[,mac=XX:XX:XX:XX:XX:XX][,mtu=N][,queue-size=N]"
		"[,attach=...] [--net ...]\n"
		"Serves virtio-blk and virtio-net devices through VDUSE until SIGINT or SIGTERM.\n"
		"Then: vdpa dev add name NAME mgmtdev vduse (or attach= does it: virtio gives\n"
		"/dev/vdX or ethX, vhost gives /dev/vhost-vdpa-N)\n"
		"Started again with the same arguments after it died, it takes its devices\n"
		"over and runs again what was in flight (state in DIR, default %s).\n"
		"--config FILE|DIR: options from a file, one per line as here without the\n"
		"dashes (\"blk name=disk0,path=/srv/disk0.img\"); a directory's *.conf files\n"
		"in name order. At most %u devices.\n"
		"--control PATH|none: the control socket that adds, removes, resizes and counts\n"
		"devices at run time (hvdpactl, docs/control.md); default %s. With it,\n"
		"hvdpad may start with no device at all.\n"
		"-v, --verbose: debug messages; --help: this text; --version: hvdpad's version\n",
		HV_VDUSE_STATE_DIR, HVDPAD_MAX_DEVICES, HV_CONTROL_DEFAULT);
}

static void release_claims(void)
{
	for (unsigned int i = 0; i < nserved; i++) {
		if (!served[i].used)
			continue;
		hv_vduse_release(served[i].claim);
		served[i].claim = NULL;
	}
}

static void __attribute__((noreturn, format(printf, 1, 2))) die_usage(const char *fmt, ...)
{
	va_list ap;

	release_claims();
	hv_control_close(&control);
	/* The journal files it as an error, as hv_log's lines. */
	fprintf(stderr, "%shvdpad: ", hv_log_to_journal() ? "<3>" : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static int attach_done_fd = -1;
static volatile int attach_failed;
static pthread_t attach_thread;
static bool attach_running;

static void *attach_all(void *opaque)
{
	uint64_t one = 1;
	char err[512];

	(void)opaque;
	for (unsigned int i = 0; i < nserved && !attach_failed; i++) {
		struct served *s = &served[i];
		char node[128];
		int r;

		if (!s->used || s->attach == HV_ATTACH_NONE)
			continue;
		r = hv_vdpa_attach(s->name, s->attach, err, sizeof(err));
		if (r == -EALREADY)
			continue; /* taken over while attached */
		if (r < 0) {
			fprintf(stderr, "hvdpad: %s\n", err);
			attach_failed = 1;
			break;
		}
		hv_vdpa_node(s->name, node, sizeof(node));
		printf("%s: attached (%s): %s\n", s->name, hv_attach_driver(s->attach), node);
		fflush(stdout);
	}
	if (write(attach_done_fd, &one, sizeof(one)) < 0)
		hv_err("attach: cannot report back: %s", strerror(errno));
	return NULL;
}

/* For a Type=notify unit: ready once every device is served and, with
 * attach=, on the bus with its driver bound (its /dev node exists). */
static void notify_ready(void)
{
	unsigned int n = 0;
	int r;

	for (unsigned int i = 0; i < nserved; i++)
		n += served[i].used;
	r = hv_sd_notify("READY=1\nSTATUS=serving %u device%s", n, n == 1 ? "" : "s");

	if (r < 0)
		hv_warn("cannot tell systemd hvdpad is ready ($NOTIFY_SOCKET): %s", strerror(-r));
}

static void on_attach_done(void *opaque, uint32_t events)
{
	struct hv_loop *loop = opaque;

	(void)events;
	/* Once: the eventfd is level-triggered, and a thread is joined once. */
	hv_loop_del(loop, attach_done_fd);
	close(attach_done_fd);
	attach_done_fd = -1;
	pthread_join(attach_thread, NULL);
	attach_running = false;
	if (attach_failed)
		hvdpad_request_quit(1);
	else
		notify_ready();
}

static int start_attach(struct hv_loop *loop)
{
	bool any = false;

	for (unsigned int i = 0; i < nserved; i++)
		any |= served[i].used && served[i].attach != HV_ATTACH_NONE;
	if (!any)
		return 0;
	attach_done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (attach_done_fd < 0 ||
	    hv_loop_add(loop, attach_done_fd, EPOLLIN, on_attach_done, loop) < 0 ||
	    pthread_create(&attach_thread, NULL, attach_all, NULL) != 0)
		return -1;
	attach_running = true;
	return 0;
}

static void on_signal(void *opaque, uint32_t events)
{
	int fd = *(int *)opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		hv_info("signal %u: shutting down", si.ssi_signo);
		hvdpad_request_quit(0);
	}
}

static void on_quit(void *opaque, uint32_t events)
{
	uint64_t n;

	(void)opaque;
	(void)events;
	if (read(quit_fd, &n, sizeof(n)) < 0)
		return;
}

static void shutdown_all(void)
{
	for (unsigned int i = nserved; i-- > 0;)
		if (served[i].used) {
			served_stop(&served[i]);
			served_free(&served[i]);
		}
	release_claims();
	free(served);
	served = NULL;
	nserved = 0;
}

/* One --blk or --net, from the command line or a config file. */
static int add_device(bool is_net, const char *arg, const char *where, bool runtime, char *err,
		      size_t errlen)
{
	struct served *s = served_alloc();

	if (!s) {
		snprintf(err, errlen, "more than %u devices", HVDPAD_MAX_DEVICES);
		return -EINVAL;
	}
	if (served_parse(s, is_net, arg, where, err, errlen) < 0) {
		served_free(s);
		return -EINVAL;
	}
	s->runtime = runtime;
	return 0;
}

/* A line of a config file: the same options as the command line's. ctx
 * is non-NULL for the control socket's devices file, which holds devices
 * only. */
static int conf_option(void *ctx, const char *opt, const char *val, const char *where, char *err,
		       size_t errlen)
{
	char msg[1024];

	if (!strcmp(opt, "blk") || !strcmp(opt, "net")) {
		if (add_device(opt[0] == 'n', val, where, ctx != NULL, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s %s: %s", opt, val, msg);
			return -EINVAL;
		}
	} else if (ctx) {
		snprintf(err, errlen, "%s: only blk and net lines belong here", where);
		return -EINVAL;
	} else if (!strcmp(opt, "state-dir")) {
		/* The file's text is gone once it is parsed. */
		if (!(state_dir = strdup(val))) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	} else if (!strcmp(opt, "control")) {
		if (!(control_path = strdup(val))) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		control_given = true;
	} else if (!strcmp(opt, "verbose")) {
		hv_log_level = HV_LOG_DEBUG;
	}
	return 0;
}

static bool attaching(void)
{
	return attach_running;
}

static struct hvdpad_control control_ctx = {.busy = attaching};
static char devices_file[4200];
/* The default socket, when another hvdpad has it: said once we are up. */
static char control_skipped[1024];

/*
 * The control socket, taken before any device is made: with --control,
 * failing to get it is an error like any bad argument; the default one
 * another hvdpad already answers on is left to it. Devices added through
 * it before are added again.
 */
static void open_control(struct hv_loop *loop)
{
	char err[1024];
	int r;

	if (!strcmp(control_path, "none"))
		return;
	if (!control_given) {
		/* The default lives in the default state directory. */
		char dir[512];

		snprintf(dir, sizeof(dir), "%s", control_path);
		*strrchr(dir, '/') = '\0';
		mkdir(dir, 0755);
	}
	r = hv_control_listen(&control, loop, control_path, NULL, hvdpad_control_command,
			      &control_ctx, err, sizeof(err));
	if (r < 0 && control_given)
		die_usage("%s", err);
	if (r < 0) {
		snprintf(control_skipped, sizeof(control_skipped), "%s", err);
		return;
	}
	snprintf(devices_file, sizeof(devices_file), "%s.devices", control_path);
	control_ctx.devices_file = devices_file;
	if (access(devices_file, F_OK) == 0 &&
	    hvdpad_conf_load(devices_file, conf_option, devices_file, err, sizeof(err)) < 0)
		die_usage("devices added through the control socket: %s", err);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"blk", required_argument, NULL, 'b'},
		{"net", required_argument, NULL, 'n'},
		{"state-dir", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"control", required_argument, NULL, 'C'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char err[2048];
	struct hv_loop loop;
	sigset_t mask;
	int c, sfd, r;

	served = calloc(HVDPAD_MAX_DEVICES, sizeof(*served));
	if (!served)
		return 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
		case 'n':
			if (add_device(c == 'n', optarg, c == 'n' ? "--net" : "--blk", false, err,
				       sizeof(err)) < 0)
				die_usage("--%s %s: %s", c == 'b' ? "blk" : "net", optarg, err);
			break;
		case 'c':
			if (hvdpad_conf_load(optarg, conf_option, NULL, err, sizeof(err)) < 0)
				die_usage("--config %s", err);
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'C':
			control_path = optarg;
			control_given = true;
			break;
		case 'v':
			hv_log_level = HV_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return hv_version("hvdpad");
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s' (devices are given with --blk and --net)",
			  argv[optind]);
	if (nserved == 0 && !strcmp(control_path, "none"))
		die_usage("nothing to serve: give at least one --blk or --net, or a control "
			  "socket to add them through");

	signal(SIGPIPE, SIG_IGN);
	if (hv_loop_init(&loop) < 0)
		return 1;
	open_control(&loop);

	/* Everything that can be checked is checked before anything is
	 * created, so a typo never leaves half the devices behind. */
	for (unsigned int i = 0; i < nserved; i++)
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(served[i].name, served[j].name))
				die_usage("device name '%s' given twice (%s, %s)", served[i].name,
					  served[j].where, served[i].where);
	if (hv_vduse_check(err, sizeof(err)) < 0)
		die_usage("%s", err);
	for (unsigned int i = 0; i < nserved; i++)
		if (hv_vduse_claim(state_dir, served[i].name, &served[i].claim, err, sizeof(err)) <
		    0)
			die_usage("%s", err);
	/* Blocked before any device exists, so that every thread a device
	 * may start inherits it: the signals are read from sfd only. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (unsigned int i = 0; i < nserved; i++) {
		r = served_build(&served[i], err, sizeof(err));
		if (r < 0) {
			for (unsigned int j = 0; j < i; j++) {
				served[j].dev->ops->destroy(served[j].dev);
				served[j].dev = NULL;
			}
			die_usage("%s: %s", served[i].name, err);
		}
	}

	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	quit_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sfd < 0 || quit_fd < 0 || hv_loop_add(&loop, sfd, EPOLLIN, on_signal, &sfd) ||
	    hv_loop_add(&loop, quit_fd, EPOLLIN, on_quit, NULL))
		return 1;

	for (unsigned int i = 0; i < nserved; i++) {
		struct served *s = &served[i];

		r = served_start(s, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "hvdpad: %s\n", err);
			shutdown_all();
			hv_control_close(&control);
			return r == -EEXIST ? EXIT_USAGE : 1;
		}
		served_print_ready(s);
	}
	if (control_skipped[0])
		hv_warn("%s: this hvdpad has no control socket (give it one with --control PATH)",
			control_skipped);
	/* Adding a device to the bus probes its driver, which talks to us
	 * through VDUSE messages: this thread must keep answering them, so the
	 * attaching is done on another. */
	if (start_attach(&loop) < 0) {
		shutdown_all();
		hv_control_close(&control);
		return 1;
	}
	if (!attach_running)
		notify_ready();

	while (!quitting() || attach_running) {
		r = hv_loop_run_once(&loop, -1);
		if (r < 0 && r != -EINTR) {
			hv_err("epoll: %s", strerror(-r));
			hvdpad_request_quit(1);
			break;
		}
	}
	hv_sd_notify("STOPPING=1");
	hv_control_close(&control);
	shutdown_all();
	hv_loop_fini(&loop);
	close(sfd);
	return __atomic_load_n(&exit_status, __ATOMIC_RELAXED);
}
