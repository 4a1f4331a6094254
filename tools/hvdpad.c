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
#include <unistd.h>

#include "hvdpa/blk.h"
#include "hvdpa/log.h"
#include "hvdpa/loop.h"
#include "hvdpa/net.h"
#include "hvdpa/vdpa.h"
#include "hvdpa/vduse.h"
#include "hvdpa/version.h"
#include "hvdpad_conf.h"
#include "sd_notify.h"

#define EXIT_USAGE 2
/* Devices one daemon serves, from the command line and config files. */
#define MAX_DEVICES 256

struct served {
	/* Each device's VDUSE messages (and its control fd) are answered on
	 * a thread of its own: a device whose reset waits for its queues
	 * never delays another device's messages past the kernel's timeout. */
	struct hv_loop loop;
	pthread_t thread;
	int stop_fd;
	bool stopping, thread_running;
	struct hv_device *dev;
	struct hv_vduse *vduse;
	struct hv_vduse_state *claim; /* until hv_vduse_create takes it */
	bool takeover;
	bool is_net;
	const char *name;
	char where[512]; /* "--blk", or the config file's FILE:LINE */
	enum hv_attach attach;
	struct hv_blk_options opt;
	struct hv_net_options net;
};

static struct served *served;
static unsigned int nserved;
static const char *state_dir = HV_VDUSE_STATE_DIR;
static int quit;
static int exit_status;
/* A device thread that fails asks the main thread to shut down here. */
static int quit_fd = -1;

static void request_quit(int status)
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
		"usage: hvdpad [-v] [--state-dir DIR] --blk name=NAME,path=PATH[,readonly=on]"
		"[,queues=N][,queue-size=N][,serial=STR][,attach=virtio|vhost|none] [--blk ...]\n"
		"       (or --blk name=NAME,null=on,size=SIZE[,...]: no storage, for "
		"benchmarks)\n"
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
		"-v, --verbose: debug messages; --help: this text; --version: hvdpad's version\n",
		HV_VDUSE_STATE_DIR, MAX_DEVICES);
}

static void release_claims(void)
{
	for (unsigned int i = 0; i < nserved; i++) {
		hv_vduse_release(served[i].claim);
		served[i].claim = NULL;
	}
}

static void __attribute__((noreturn, format(printf, 1, 2))) die_usage(const char *fmt, ...)
{
	va_list ap;

	release_claims();
	fprintf(stderr, "hvdpad: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* attach= belongs to hvdpad, not to the device: taken out of the option
 * string before the device parses the rest. */
static int split_attach(const char *spec, char *rest, size_t len, enum hv_attach *a, char *err,
			size_t errlen)
{
	const char *p = spec;
	size_t n = 0;

	*a = HV_ATTACH_NONE;
	rest[0] = '\0';
	while (*p) {
		size_t tl = strcspn(p, ",");

		if (tl > 7 && !strncmp(p, "attach=", 7)) {
			char v[16];

			snprintf(v, sizeof(v), "%.*s", (int)(tl - 7), p + 7);
			if (hv_attach_parse(v, a) < 0) {
				snprintf(err, errlen,
					 "attach must be virtio, vhost or none, not '%s'", v);
				return -EINVAL;
			}
		} else if (n + tl + 2 < len) {
			n += (size_t)snprintf(rest + n, len - n, "%s%.*s", n ? "," : "", (int)tl,
					      p);
		}
		p += tl + (p[tl] == ',');
	}
	return 0;
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

		if (s->attach == HV_ATTACH_NONE)
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
	int r = hv_sd_notify("READY=1\nSTATUS=serving %u device%s", nserved,
			     nserved > 1 ? "s" : "");

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
		request_quit(1);
	else
		notify_ready();
}

static int start_attach(struct hv_loop *loop)
{
	bool any = false;

	for (unsigned int i = 0; i < nserved; i++)
		any |= served[i].attach != HV_ATTACH_NONE;
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
		request_quit(0);
	}
}

static void on_vduse(void *opaque, uint32_t events)
{
	struct served *s = opaque;
	int r;

	(void)events;
	r = hv_vduse_handle_messages(s->vduse);
	if (r < 0) {
		hv_err("%s: device fd failed: %s", s->dev->name, strerror(-r));
		hv_loop_del(&s->loop, hv_vduse_fd(s->vduse));
		request_quit(1);
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

static void on_device_stop(void *opaque, uint32_t events)
{
	struct served *s = opaque;

	(void)events;
	__atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
}

static void *device_thread(void *opaque)
{
	struct served *s = opaque;

	while (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
		int r = hv_loop_run_once(&s->loop, -1);

		if (r < 0 && r != -EINTR) {
			hv_err("%s: epoll: %s", s->name, strerror(-r));
			request_quit(1);
			break;
		}
	}
	return NULL;
}

static void on_control(void *opaque, uint32_t events);

/* The device's own thread: its VDUSE fd and its control fd (the net
 * device's link changes, which end in VDUSE config ioctls). */
static int start_device_thread(struct served *s)
{
	int ctl = s->dev->ops->control_fd ? s->dev->ops->control_fd(s->dev) : -1;

	s->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->stop_fd < 0 || hv_loop_init(&s->loop) < 0 ||
	    hv_loop_add(&s->loop, s->stop_fd, EPOLLIN, on_device_stop, s) < 0 ||
	    hv_loop_add(&s->loop, hv_vduse_fd(s->vduse), EPOLLIN, on_vduse, s) < 0 ||
	    (ctl >= 0 && hv_loop_add(&s->loop, ctl, EPOLLIN, on_control, s) < 0))
		return -1;
	/* Created with the link up: say what it really is. */
	if (ctl >= 0)
		s->dev->ops->control_event(s->dev);
	if (pthread_create(&s->thread, NULL, device_thread, s) != 0)
		return -1;
	s->thread_running = true;
	return 0;
}

static void stop_device_thread(struct served *s)
{
	uint64_t one = 1;

	if (s->thread_running) {
		if (write(s->stop_fd, &one, sizeof(one)) < 0)
			hv_err("%s: cannot stop its thread: %s", s->name, strerror(errno));
		pthread_join(s->thread, NULL);
		s->thread_running = false;
	}
	if (s->stop_fd >= 0) {
		hv_loop_fini(&s->loop);
		close(s->stop_fd);
		s->stop_fd = -1;
	}
}

static void on_control(void *opaque, uint32_t events)
{
	struct served *s = opaque;

	(void)events;
	s->dev->ops->control_event(s->dev);
}

static void print_ready(const struct served *s)
{
	uint64_t bytes;

	if (s->is_net) {
		const uint8_t *m = s->net.mac;

		printf("%s: ready: virtio-net tap %s, mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u, "
		       "1 queue pair of %u, /dev/vduse/%s%s\n",
		       s->name, s->net.tap, m[0], m[1], m[2], m[3], m[4], m[5], s->net.mtu,
		       s->net.queue_size, s->name, s->takeover ? " (taken over)" : "");
		fflush(stdout);
		return;
	}
	bytes = hv_blk_size(s->dev);

	printf("%s: ready: virtio-blk %s%s, %llu MiB (%llu sectors), %u queue%s of %u, "
	       "/dev/vduse/%s%s\n",
	       s->dev->name, s->opt.null ? "null" : s->opt.path,
	       s->opt.readonly ? " (read-only)" : "", (unsigned long long)(bytes >> 20),
	       (unsigned long long)(bytes >> 9), s->opt.num_queues,
	       s->opt.num_queues > 1 ? "s" : "", s->opt.queue_size, s->dev->name,
	       s->takeover ? " (taken over)" : "");
	fflush(stdout);
}

static void shutdown_all(void)
{
	for (unsigned int i = 0; i < nserved; i++)
		stop_device_thread(&served[i]);
	for (unsigned int i = nserved; i-- > 0;) {
		struct served *s = &served[i];

		if (s->vduse) {
			int r = hv_vduse_destroy(s->vduse);

			if (r == -EBUSY)
				hv_warn("%s: still on the vDPA bus, so the kernel keeps it; "
					"remove it with: vdpa dev del %s",
					s->dev->name, s->dev->name);
			else if (r < 0)
				hv_warn("%s: VDUSE_DESTROY_DEV: %s", s->dev->name, strerror(-r));
		}
		if (s->dev)
			s->dev->ops->destroy(s->dev);
	}
	release_claims();
	free(served);
	served = NULL;
	nserved = 0;
}

/* One --blk or --net, from the command line or a config file. */
static int add_device(bool is_net, const char *arg, const char *where, char *err, size_t errlen)
{
	struct served *sv = &served[nserved];
	char spec[4096];

	if (nserved == MAX_DEVICES) {
		snprintf(err, errlen, "more than %u devices", MAX_DEVICES);
		return -EINVAL;
	}
	if (split_attach(arg, spec, sizeof(spec), &sv->attach, err, errlen) < 0)
		return -EINVAL;
	sv->is_net = is_net;
	if (is_net ? hv_net_options_parse(&sv->net, spec, err, errlen)
		   : hv_blk_options_parse(&sv->opt, spec, err, errlen))
		return -EINVAL;
	sv->name = is_net ? sv->net.name : sv->opt.name;
	sv->stop_fd = -1;
	snprintf(sv->where, sizeof(sv->where), "%s", where);
	nserved++;
	return 0;
}

/* A line of a config file: the same options as the command line's. */
static int conf_option(void *ctx, const char *opt, const char *val, const char *where, char *err,
		       size_t errlen)
{
	char msg[1024];

	(void)ctx;
	if (!strcmp(opt, "blk") || !strcmp(opt, "net")) {
		if (add_device(opt[0] == 'n', val, where, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s %s: %s", opt, val, msg);
			return -EINVAL;
		}
	} else if (!strcmp(opt, "state-dir")) {
		/* The file's text is gone once it is parsed. */
		if (!(state_dir = strdup(val))) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	} else if (!strcmp(opt, "verbose")) {
		hv_log_level = HV_LOG_DEBUG;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"blk", required_argument, NULL, 'b'},
		{"net", required_argument, NULL, 'n'},
		{"state-dir", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char err[2048];
	struct hv_loop loop;
	sigset_t mask;
	int c, sfd, r;

	served = calloc(MAX_DEVICES, sizeof(*served));
	if (!served)
		return 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
		case 'n':
			if (add_device(c == 'n', optarg, c == 'n' ? "--net" : "--blk", err,
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
	if (nserved == 0)
		die_usage("nothing to serve: give at least one --blk or --net");

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
		r = served[i].is_net
			    ? hv_net_create(&served[i].net, &served[i].dev, err, sizeof(err))
			    : hv_blk_create(&served[i].opt, &served[i].dev, err, sizeof(err));
		if (r >= 0) {
			r = hv_vduse_claim_check(served[i].claim, served[i].dev, err, sizeof(err));
			served[i].takeover = r == 1;
			if (r < 0)
				served[i].dev->ops->destroy(served[i].dev);
		}
		if (r < 0) {
			for (unsigned int j = 0; j < i; j++)
				served[j].dev->ops->destroy(served[j].dev);
			die_usage("%s: %s", served[i].name, err);
		}
	}

	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	quit_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sfd < 0 || quit_fd < 0 || hv_loop_init(&loop) < 0 ||
	    hv_loop_add(&loop, sfd, EPOLLIN, on_signal, &sfd) ||
	    hv_loop_add(&loop, quit_fd, EPOLLIN, on_quit, NULL))
		return 1;

	for (unsigned int i = 0; i < nserved; i++) {
		struct served *s = &served[i];

		r = hv_vduse_create(s->dev, s->claim, &s->vduse, err, sizeof(err));
		s->claim = NULL;
		if (r < 0) {
			fprintf(stderr, "hvdpad: %s\n", err);
			shutdown_all();
			return r == -EEXIST ? EXIT_USAGE : 1;
		}
		if (start_device_thread(s) < 0) {
			hv_err("%s: cannot start its thread: %s", s->name, strerror(errno));
			shutdown_all();
			return 1;
		}
		print_ready(s);
	}
	/* Adding a device to the bus probes its driver, which talks to us
	 * through VDUSE messages: this thread must keep answering them, so the
	 * attaching is done on another. */
	if (start_attach(&loop) < 0) {
		shutdown_all();
		return 1;
	}
	if (!attach_running)
		notify_ready();

	while (!quitting() || attach_running) {
		r = hv_loop_run_once(&loop, -1);
		if (r < 0 && r != -EINTR) {
			hv_err("epoll: %s", strerror(-r));
			request_quit(1);
			break;
		}
	}
	hv_sd_notify("STOPPING=1");
	shutdown_all();
	hv_loop_fini(&loop);
	close(sfd);
	return __atomic_load_n(&exit_status, __ATOMIC_RELAXED);
}
