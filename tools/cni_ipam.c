// SPDX-License-Identifier: MIT
/*
 * IPAM delegation, as the spec has it: the IPAM plugin named by ipam.type
 * is found in CNI_PATH and run with our environment (CNI_COMMAND changed
 * only to roll an ADD back with DEL) and the same configuration on stdin;
 * its stdout is its result or its error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni_ipam.h"

/* An IPAM plugin's answer is a few hundred bytes. */
#define OUT_MAX (1u << 20)

static int find_plugin(const char *type, const char *cni_path, char *out, size_t len)
{
	const char *p = cni_path;

	while (p && *p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		struct stat st;

		if (n > 0 && (size_t)snprintf(out, len, "%.*s/%s", (int)n, p, type) < len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		p = colon ? colon + 1 : NULL;
	}
	return -ENOENT;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int hv_cni_ipam_exec(const char *type, const char *cni_path, const char *cmd, const char *conf,
		     size_t conf_len, struct json_object **result, struct hv_cni_err *e)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, status, wr;
	char path[4096], *buf = NULL;
	size_t len = 0;
	pid_t pid;
	struct json_object *o;
	void (*old_pipe)(int);

	if (result)
		*result = NULL;
	if (find_plugin(type, cni_path, path, sizeof(path)) < 0)
		return hv_cni_fail(e, CNI_E_CONFIG, NULL,
				   "IPAM plugin %s: not found in CNI_PATH (%.200s)", type,
				   cni_path);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		hv_cni_fail(e, CNI_E_IO, NULL, "pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		hv_cni_fail(e, CNI_E_IO, NULL, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		/* dup2 clears FD_CLOEXEC on the copies. */
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		setenv("CNI_COMMAND", cmd, 1);
		execl(path, type, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	/* The plugin reads its configuration whole before it answers, and a
	 * configuration is far smaller than a pipe's buffer; a plugin that
	 * exits without reading must not kill us with SIGPIPE. */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	wr = write_all(in[1], conf, conf_len);
	close(in[1]);
	in[1] = -1;
	signal(SIGPIPE, old_pipe);
	buf = malloc(OUT_MAX + 1);
	for (ssize_t n = 1; buf && n > 0 && len < OUT_MAX;) {
		n = read(out[0], buf + len, OUT_MAX - len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n > 0)
			len += (size_t)n;
	}
	close(out[0]);
	out[0] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!buf)
		return hv_cni_fail(e, CNI_E_IO, NULL, "out of memory");
	buf[len] = '\0';
	o = json_tokener_parse(buf);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		struct json_object *c, *m, *d;

		/* Its error, passed on with its code, as the bridge plugin does. */
		if (o && json_object_object_get_ex(o, "code", &c) &&
		    json_object_object_get_ex(o, "msg", &m)) {
			hv_cni_fail(e, json_object_get_int(c),
				    json_object_object_get_ex(o, "details", &d)
					    ? json_object_get_string(d)
					    : NULL,
				    "IPAM %s %s: %s", type, cmd, json_object_get_string(m));
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
			hv_cni_fail(e, CNI_E_IO, NULL, "IPAM %s: cannot run %s", type, path);
		} else {
			hv_cni_fail(e, CNI_E_IO, len ? buf : NULL,
				    "IPAM %s %s failed (status %d) without an error object", type,
				    cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		}
		json_object_put(o);
		free(buf);
		return -1;
	}
	if (wr < 0 && wr != -EPIPE) {
		json_object_put(o);
		free(buf);
		return hv_cni_fail(e, CNI_E_IO, NULL, "IPAM %s: writing its stdin: %s", type,
				   strerror(-wr));
	}
	if (result) {
		if (!o) {
			hv_cni_fail(e, CNI_E_DECODE, buf, "IPAM %s %s: its result is not JSON",
				    type, cmd);
			free(buf);
			return -1;
		}
		*result = o;
	} else {
		json_object_put(o);
	}
	free(buf);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return -1;
}
