// SPDX-License-Identifier: MIT
/*
 * hvbridge: guest zones of the hvisor hypervisor reach vDPA devices (hvdpad
 * over VDUSE, or any other) through trapped virtio-mmio accesses.
 *
 *   hvbridge [-v] --config FILE      serve the zones in FILE (ours, or hvisor-tool's
 *                                    virtio_cfg.json unchanged)
 *   hvbridge --sim DIR ...           the zone simulator plays every zone, on
 *                                    DIR/zone<ID>.sock, instead of hvisor
 *   hvbridge --control-group GROUP   members of GROUP may use the control socket
 *                                    too (else only root)
 *   hvbridge --strict ...            refuse an hvisor-tool config's devices of types
 *                                    hvbridge does not serve (scmi, gpu, ...)
 *                                    instead of skipping them with a warning
 *   hvbridge ctl [-j] SOCKET REQUEST talk to a running one (list, add JSON,
 *                                    remove ZONE NAME) over its JSON control
 *                                    socket; -j prints the raw JSON return
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime failure, 2 on bad
 * arguments or config.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hvbridge/bridge.h"
#include "../hvbridge/control.h"
#include "hvdpa/control_server.h"
#include "hvdpa/log.h"
#include "hvdpa/version.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hvbridge [-v] [--strict] [--sim DIR] [--control-group GROUP] "
		   "--config FILE\n"
		   "       hvbridge ctl [-j] SOCKET 'add {\"zone\": Z, \"name\": N, \"base\": B, "
		   "\"irq\": I, \"vhost\": PATH}'\n"
		   "       hvbridge ctl [-j] SOCKET remove ZONE NAME\n"
		   "       hvbridge ctl [-j] SOCKET list\n"
		   "       hvbridge --help | --version\n");
}

/* Every zone's accesses and RAM come from the simulator instead. */
static int use_simulator(struct hvb_bridge *b, const char *dir)
{
	free(b->trap_kind);
	b->trap_kind = strdup("sim");
	for (unsigned int i = 0; i < b->n_zones; i++) {
		struct hvb_zone *z = b->zones[i];
		char path[512];

		snprintf(path, sizeof(path), "%s/zone%u.sock", dir, z->id);
		free(z->sim_socket);
		z->sim_socket = strdup(path);
		for (unsigned int j = 0; j < z->n_ram; j++)
			z->ram[j].backing = HVB_RAM_SIM;
		if (!z->sim_socket)
			return -1;
	}
	return b->trap_kind ? 0 : -1;
}

/* hvbridge ctl [-j] SOCKET REQUEST...: the request's words may come as
 * one argument ('remove 1 blk1', as before) or several. */
static int ctl(int argc, char **argv)
{
	bool raw = false;
	char request[HV_CONTROL_LINE_MAX + 1];
	size_t n = 0;
	int r;

	if (argc > 0 && strcmp(argv[0], "-j") == 0) {
		raw = true;
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	request[0] = '\0';
	for (int i = 1; i < argc; i++) {
		int w = snprintf(request + n, sizeof(request) - n, "%s%s", i > 1 ? " " : "",
				 argv[i]);

		if (w < 0 || (size_t)w >= sizeof(request) - n) {
			fprintf(stderr, "hvbridge: request longer than %u bytes\n",
				HV_CONTROL_LINE_MAX);
			return 2;
		}
		n += (size_t)w;
	}
	r = hvb_control_request(argv[0], request, raw);
	if (r == 2)
		usage(stderr);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"sim", required_argument, NULL, 's'},
		{"control-group", required_argument, NULL, 'g'},
		{"strict", no_argument, NULL, 'S'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	struct sigaction sa = {.sa_handler = on_signal};
	struct hvb_bridge b = {.stop = &stop, .hvisor_fd = -1, .control = {.fd = -1}};
	const char *config = NULL, *sim_dir = NULL, *control_group = NULL;
	char err[512];
	sigset_t stop_sigs;
	int o, r;

	if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
		return ctl(argc - 2, argv + 2);
	while ((o = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			break;
		case 's':
			sim_dir = optarg;
			break;
		case 'g':
			control_group = optarg;
			break;
		case 'S':
			b.strict = true;
			break;
		case 'v':
			hv_log_level = HV_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return hv_version("hvbridge");
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!config || optind != argc) {
		usage(stderr);
		return 2;
	}
	r = hvb_config_load(config, &b, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "hvbridge: %s\n", err);
		hvb_bridge_free(&b);
		return 2;
	}
	if (control_group) {
		free(b.control_group);
		b.control_group = strdup(control_group);
	}
	if (sim_dir && use_simulator(&b, sim_dir) < 0) {
		hvb_bridge_free(&b);
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Blocked in every thread from here on (devices start threads of
	 * their own as they open: a socket console's relay): the bridge loop
	 * lets them in only while it waits. A SIGTERM taken by another thread
	 * sets the flag without waking the loop, which then slept on. */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
	r = hvb_bridge_start(&b, err, sizeof(err));
	if (r == 0 && b.control_path)
		r = hvb_control_listen(&b, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "hvbridge: %s\n", err);
		hvb_bridge_free(&b);
		return 1;
	}
	for (unsigned int i = 0; i < b.n_zones; i++)
		fprintf(stderr, "hvbridge: zone %u: ready, %u devices%s\n", b.zones[i]->id,
			b.zones[i]->n_devs,
			b.zones[i]->sim_socket ? ", waiting for the simulator" : "");
	r = hvb_bridge_run(&b);
	hvb_control_close(&b);
	hvb_bridge_free(&b);
	return r < 0 ? 1 : 0;
}
