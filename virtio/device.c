// SPDX-License-Identifier: MIT
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "hvdpa/device.h"

uint64_t hv_device_common_features(void)
{
	/* ACCESS_PLATFORM: VDUSE refuses devices without it, and it is right
	 * anyway: the driver's addresses are IOVAs, never our pointers. */
	return (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
	       (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_RING_F_INDIRECT_DESC);
}
