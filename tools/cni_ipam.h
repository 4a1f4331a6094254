/* SPDX-License-Identifier: MIT */
#ifndef HVDPA_TOOLS_CNI_IPAM_H
#define HVDPA_TOOLS_CNI_IPAM_H

#include "cni.h"

/*
 * Runs the IPAM plugin type, found in cni_path (CNI_PATH, colon-separated),
 * with CNI_COMMAND=cmd and conf on stdin. 0 with its parsed stdout in
 * *result (when result is not NULL; the caller puts it). -1 with e set:
 * the plugin's own error (its code and msg) when it gave one.
 */
int hv_cni_ipam_exec(const char *type, const char *cni_path, const char *cmd, const char *conf,
		     size_t conf_len, struct json_object **result, struct hv_cni_err *e);

#endif
