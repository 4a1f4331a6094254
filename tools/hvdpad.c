// SPDX-License-Identifier: MIT
/*
 * hvdpad: serves virtio devices over VDUSE.
 *
 *   hvdpad [--state-dir DIR] --blk name=NAME,path=PATH[,readonly=on][,queues=N]
 *          [,queue-size=N][,serial=STR] ...
 *
 * Everything the command line asks for is checked before any device is
 * created; a bad argument is one line on stderr and exit status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "hvdpa/blk.h"
#include "hvdpa/log.h"
#include "hvdpa/loop.h"
#include "hvdpa/vduse.h"

#define EXIT_USAGE 2

struct served {
	struct hv_device *dev;
	struct hv_vduse *vduse;
	struct hv_vduse_state *claim; /* until hv_vduse_create takes it */
	bool takeover;
	struct hv_blk_options opt;
};

static struct served *served;
static unsigned int nserved;
static volatile int quit;
static int exit_status;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hvdpad [-v] [--state-dir DIR] --blk name=NAME,path=PATH[,readonly=on]"
		"[,queues=N][,queue-size=N][,serial=STR] [--blk ...]\n"
		"       (or --blk name=NAME,null=on,size=SIZE[,...]: no storage, for "
		"benchmarks)\n"
		"Serves virtio-blk devices through VDUSE until SIGINT or SIGTERM.\n"
		"Then: vdpa dev add name NAME mgmtdev vduse\n"
		"Started again with the same arguments after it died, it takes its devices\n"
		"over and runs again what was in flight (state in DIR, default %s).\n",
		HV_VDUSE_STATE_DIR);
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

static void on_signal(void *opaque, uint32_t events)
{
	int fd = *(int *)opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		hv_info("signal %u: shutting down", si.ssi_signo);
		quit = 1;
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
		exit_status = 1;
		quit = 1;
	}
}

static void print_ready(const struct served *s)
{
	uint64_t bytes = hv_blk_size(s->dev);

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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"blk", required_argument, NULL, 'b'},
		{"state-dir", required_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *state_dir = HV_VDUSE_STATE_DIR;
	char err[512];
	struct hv_loop loop;
	sigset_t mask;
	int c, sfd, r;

	served = calloc((size_t)argc, sizeof(*served));
	if (!served)
		return 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (hv_blk_options_parse(&served[nserved].opt, optarg, err, sizeof(err)) <
			    0)
				die_usage("--blk %s: %s", optarg, err);
			nserved++;
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
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s' (devices are given with --blk)", argv[optind]);
	if (nserved == 0)
		die_usage("nothing to serve: give at least one --blk");

	/* Everything that can be checked is checked before anything is
	 * created, so a typo never leaves half the devices behind. */
	for (unsigned int i = 0; i < nserved; i++)
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(served[i].opt.name, served[j].opt.name))
				die_usage("device name '%s' given twice", served[i].opt.name);
	if (hv_vduse_check(err, sizeof(err)) < 0)
		die_usage("%s", err);
	for (unsigned int i = 0; i < nserved; i++)
		if (hv_vduse_claim(state_dir, served[i].opt.name, &served[i].claim, err,
				   sizeof(err)) < 0)
			die_usage("%s", err);
	for (unsigned int i = 0; i < nserved; i++) {
		r = hv_blk_create(&served[i].opt, &served[i].dev, err, sizeof(err));
		if (r >= 0) {
			r = hv_vduse_claim_check(served[i].claim, served[i].dev, err, sizeof(err));
			served[i].takeover = r == 1;
			if (r < 0)
				served[i].dev->ops->destroy(served[i].dev);
		}
		if (r < 0) {
			for (unsigned int j = 0; j < i; j++)
				served[j].dev->ops->destroy(served[j].dev);
			die_usage("%s: %s", served[i].opt.name, err);
		}
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0 || hv_loop_init(&loop) < 0 || hv_loop_add(&loop, sfd, EPOLLIN, on_signal, &sfd))
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
		if (hv_loop_add(&loop, hv_vduse_fd(s->vduse), EPOLLIN, on_vduse, s) < 0) {
			shutdown_all();
			return 1;
		}
		print_ready(s);
	}

	while (!quit) {
		r = hv_loop_run_once(&loop, -1);
		if (r < 0 && r != -EINTR) {
			hv_err("epoll: %s", strerror(-r));
			exit_status = 1;
			break;
		}
	}
	shutdown_all();
	hv_loop_fini(&loop);
	close(sfd);
	return exit_status;
}
