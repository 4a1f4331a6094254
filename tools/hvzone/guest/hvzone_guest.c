// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Loaded in a zone that hvzone boots: what a zone of hvisor learns from its
 * device tree, this one learns from its parameters, which hvzone puts on
 * the kernel's command line for the zone's init to pass on:
 *
 *   insmod hvzone_guest.ko devices=0x200@0xd0000000:5,0x200@0xd0000200:6
 *
 * Each SIZE@BASE:IRQ (virtio_mmio.device='s format) becomes a "virtio-mmio"
 * platform device, which virtio_mmio then probes: Debian's kernel builds
 * virtio_mmio without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, and the zone has
 * no ACPI or device tree. It also gives the zone a way to power off (the
 * kernel has none without ACPI, and turns power-off into halt): a write of
 * 0 to hvzone's port; and says so on that port with 1 when it panics, so
 * that hvzone tells the reboot that follows from an ordinary one.
 */
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/platform_device.h>
#include <linux/reboot.h>

#define MAX_DEVICES 8

static char *devices[MAX_DEVICES];
static int n_devices;
module_param_array(devices, charp, &n_devices, 0444);
MODULE_PARM_DESC(devices, "virtio-mmio windows: SIZE@BASE:IRQ,...");

static ushort exit_port = 0x501;
module_param(exit_port, ushort, 0444);
MODULE_PARM_DESC(exit_port, "hvzone's port: 0 written to power off, 1 on panic");

static struct platform_device *pdevs[MAX_DEVICES];
static struct sys_off_handler *off_handler;

static int power_off(struct sys_off_data *data)
{
	outb(0, exit_port);
	return NOTIFY_DONE;
}

static int on_panic(struct notifier_block *nb, unsigned long event, void *msg)
{
	outb(1, exit_port);
	return NOTIFY_DONE;
}

static struct notifier_block panic_nb = {.notifier_call = on_panic};

static int add_device(int i, const char *spec)
{
	unsigned long long base;
	unsigned int irq;
	char *end;
	long long size = memparse(spec, &end);
	struct resource res[2] = {};

	if (size <= 0 || sscanf(end, "@%lli:%u", &base, &irq) != 2) {
		pr_err("hvzone_guest: '%s' is not SIZE@BASE:IRQ\n", spec);
		return -EINVAL;
	}
	res[0] = (struct resource)DEFINE_RES_MEM(base, size);
	res[1] = (struct resource)DEFINE_RES_IRQ(irq);
	pdevs[i] = platform_device_register_resndata(NULL, "virtio-mmio", i, res, 2, NULL, 0);
	if (IS_ERR(pdevs[i])) {
		int r = PTR_ERR(pdevs[i]);

		pdevs[i] = NULL;
		return r;
	}
	pr_info("hvzone_guest: virtio-mmio.%d at 0x%llx+0x%llx, IRQ %u\n", i, base, size, irq);
	return 0;
}

static void remove_all(void)
{
	for (int i = 0; i < MAX_DEVICES; i++)
		if (pdevs[i])
			platform_device_unregister(pdevs[i]);
	if (!IS_ERR_OR_NULL(off_handler))
		unregister_sys_off_handler(off_handler);
	atomic_notifier_chain_unregister(&panic_notifier_list, &panic_nb);
}

static int __init hvzone_guest_init(void)
{
	int r;

	off_handler = register_sys_off_handler(SYS_OFF_MODE_POWER_OFF, SYS_OFF_PRIO_DEFAULT,
					       power_off, NULL);
	if (IS_ERR(off_handler))
		return PTR_ERR(off_handler);
	atomic_notifier_chain_register(&panic_notifier_list, &panic_nb);
	for (int i = 0; i < n_devices; i++) {
		r = add_device(i, devices[i]);
		if (r < 0) {
			remove_all();
			return r;
		}
	}
	return 0;
}

static void __exit hvzone_guest_exit(void)
{
	remove_all();
}

module_init(hvzone_guest_init);
module_exit(hvzone_guest_exit);
MODULE_DESCRIPTION("hvzone: virtio-mmio devices from parameters, power off");
MODULE_LICENSE("Dual MIT/GPL");
