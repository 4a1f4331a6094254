// SPDX-License-Identifier: MIT
/*
 * udp_echo: checks a UDP echo path byte for byte, or sends a counted burst.
 *
 *   udp_echo check LOCAL_IP PEER_IP PORT MAX_SIZE
 *       sends datagrams of 1..MAX_SIZE bytes (every size up to 64, then a
 *       spread, then MAX_SIZE) of random payload to PEER_IP:PORT from
 *       LOCAL_IP:PORT+1 and expects each back from PEER_IP:PORT (a 5-tuple
 *       swapping echo), identical. Prints "N sent, N echoed identical".
 *   udp_echo send LOCAL_IP PEER_IP PORT COUNT
 *       sends COUNT 64-byte datagrams, paced so no queue on the way drops.
 *
 * Exit 0 when every datagram came back identical (check) or was sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int open_socket(const char *local, const char *peer, int port)
{
	struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(port + 1))};
	struct sockaddr_in pa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 4 << 20;

	if (s < 0 || inet_pton(AF_INET, local, &la.sin_addr) != 1 ||
	    inet_pton(AF_INET, peer, &pa.sin_addr) != 1) {
		fprintf(stderr, "udp_echo: bad address or socket: %s\n", strerror(errno));
		exit(2);
	}
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(s, (struct sockaddr *)&la, sizeof(la)) < 0 ||
	    connect(s, (struct sockaddr *)&pa, sizeof(pa)) < 0) {
		fprintf(stderr, "udp_echo: bind/connect: %s\n", strerror(errno));
		exit(2);
	}
	return s;
}

/* The echo path may take a moment to start forwarding (testpmd's "start"
 * returns before its lcore polls): probe with empty datagrams until the
 * first echo, 10 s at most. An empty echo never matches a sized datagram. */
static int await_echo(int s)
{
	unsigned char b = 0, in[65536];

	for (int i = 0; i < 50; i++) {
		struct pollfd p = {.fd = s, .events = POLLIN};

		if (send(s, &b, 0, 0) != 0)
			return -1;
		if (poll(&p, 1, 200) > 0) {
			while (recv(s, in, sizeof(in), MSG_DONTWAIT) >= 0)
				;
			return i;
		}
	}
	return -1;
}

static int check(int s, int max)
{
	static unsigned char out[65536], in[65536];
	int sent = 0, good = 0, lost = 0;

	srand((unsigned int)time(NULL));
	if (await_echo(s) < 0) {
		printf("0 sent: no echo of a probe in 10 s\n");
		return 1;
	}
	for (int size = 1; size <= max;) {
		ssize_t n;

		for (int i = 0; i < size; i++)
			out[i] = (unsigned char)rand();
		if (send(s, out, (size_t)size, 0) != size) {
			fprintf(stderr, "udp_echo: send %d: %s\n", size, strerror(errno));
			return 1;
		}
		sent++;
		/* The echo of this datagram, not a late one of an earlier. */
		for (;;) {
			struct pollfd p = {.fd = s, .events = POLLIN};

			if (poll(&p, 1, 1000) <= 0) {
				fprintf(stderr, "udp_echo: no echo of %d bytes\n", size);
				n = -1;
				break;
			}
			n = recv(s, in, sizeof(in), 0);
			if (n == size)
				break;
		}
		if (n == size && !memcmp(in, out, (size_t)size))
			good++;
		else if (n == size)
			fprintf(stderr, "udp_echo: %d bytes came back different\n", size);
		/* A path that echoes nothing is not waited on for every size. */
		lost = n < 0 ? lost + 1 : 0;
		if (lost == 5)
			break;
		if (size < 64)
			size++;
		else if (size < max)
			size = size * 5 / 4 + 7 < max ? size * 5 / 4 + 7 : max;
		else
			break;
	}
	printf("%d sent, %d echoed identical\n", sent, good);
	return good == sent ? 0 : 1;
}

static int burst(int s, long count)
{
	unsigned char buf[64] = {0};

	for (long i = 0; i < count; i++) {
		memcpy(buf, &i, sizeof(i));
		if (send(s, buf, sizeof(buf), 0) != sizeof(buf)) {
			fprintf(stderr, "udp_echo: send: %s\n", strerror(errno));
			return 1;
		}
		if (i % 16 == 15)
			nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
	printf("%ld sent\n", count);
	return 0;
}

int main(int argc, char **argv)
{
	int s;

	if (argc != 6 || (strcmp(argv[1], "check") && strcmp(argv[1], "send"))) {
		fprintf(stderr,
			"usage: udp_echo check|send LOCAL_IP PEER_IP PORT MAX_SIZE|COUNT\n");
		return 2;
	}
	s = open_socket(argv[2], argv[3], atoi(argv[4]));
	return !strcmp(argv[1], "check") ? check(s, atoi(argv[5])) : burst(s, atol(argv[5]));
}
