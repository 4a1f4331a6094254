// SPDX-License-Identifier: MIT
/*
 * hvzone: boots a Linux bzImage as a zone under KVM, its virtio-mmio windows
 * served by hvbridge through the simulator's socket: a real Linux driver on
 * the other side of hvbridge, without hvisor.
 *
 *   hvzone --kernel BZIMAGE [--initrd FILE] [--append ARGS] [--mem MIB] [--cpus N]
 *          [--ram2 BASE:MIB] [--bridge SOCKET [--zone ID] --virtio BASE:IRQ ...]
 *          [--console FILE]
 *
 * The zone has 1 to 4 vCPUs (more than one: an MP table, and "noapic"),
 * RAM from 0 and, with --ram2, a second region at BASE (each a sealed
 * memfd: hvbridge maps the same pages), KVM's in-kernel PIC, local APIC
 * and PIT, a 16550 on 0x3f8 (its
 * output on stdout or FILE) and nothing else: no ACPI, MP table or PCI.
 * Its kernel finds the windows through tools/hvzone/guest's module, whose
 * parameters we put on its command line (hvzone_guest.devices=...). Zone
 * accesses to a window go to hvbridge; other MMIO reads all ones.
 *
 * Exit status: 0 when the zone powers off, 2 when it reboots, 3 when it
 * panicked (and rebooted, panic=-1), 4 on a triple fault or KVM error,
 * 1 when hvzone fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <linux/virtio_mmio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvdpa/version.h"
#include "hvzone.h"

#define UART_BASE 0x3f8
#define UART_IRQ  4
/* The 32-bit hole: hvisor's zones put their windows from 2 GiB, and up
 * from 0xfec00000 are the IOAPIC, the local APIC, our TSS and the BIOS. */
#define HOLE_START 0x80000000ull
#define HOLE_END   0x100000000ull
/* Any x86-64 CPU addresses 36 bits at least: RAM below that is RAM the
 * zone can reach on every host. */
#define PHYS_END (1ull << 36)
#define CMDLINE_BASE                                                                               \
	"console=ttyS0 earlyprintk=serial panic=-1 nokaslr io_delay=none reboot=k acpi=off "       \
	"pci=off i8042.noaux i8042.nokbd"

static struct {
	int kvm, vm;
	unsigned int ncpus;
	int vcpu[HVZONE_MAX_VCPUS];
	struct kvm_run *run[HVZONE_MAX_VCPUS];
	pthread_mutex_t pio_lock; /* the UART and the exit port, for every vCPU */
	struct hvzone_window win[HVZONE_MAX_WINDOWS];
	unsigned int n_win;
	struct hvzone_link *link;
	struct hvzone_uart uart;
	bool panicked;
	unsigned int stray;
	uint64_t accesses[HVZONE_MAX_VCPUS]; /* forwarded to hvbridge */
} z = {.ncpus = 1, .pio_lock = PTHREAD_MUTEX_INITIALIZER};

static void fail(const char *what)
{
	fprintf(stderr, "hvzone: %s: %s\n", what, strerror(errno));
	exit(HVZONE_ST_ERROR);
}

static void irq_line(uint32_t irq, int level)
{
	struct kvm_irq_level l = {.irq = irq, .level = level};

	if (ioctl(z.vm, KVM_IRQ_LINE, &l) < 0)
		fail("KVM_IRQ_LINE");
}

static void uart_irq(void *arg, int level)
{
	(void)arg;
	irq_line(UART_IRQ, level);
}

/*
 * An interrupt from hvbridge: one pulse (1 then 0) on the device's line.
 * The PIC latches the rising edge in IRR even while the line is masked or
 * in service, so no interrupt is lost, and virtio_mmio's handler reads
 * InterruptStatus, so one that finds nothing new is harmless (IRQ_NONE).
 * Holding the line high until the driver writes InterruptACK would need
 * InterruptStatus, which only hvbridge knows.
 */
static void bridge_irq(void *arg, uint32_t irq)
{
	(void)arg;
	for (unsigned int i = 0; i < z.n_win; i++)
		if (z.win[i].irq == irq) {
			irq_line(irq, 1);
			irq_line(irq, 0);
			return;
		}
	fprintf(stderr, "hvzone: interrupt %u from hvbridge is no window's\n", irq);
}

static int ended(int status, const char *why)
{
	fprintf(stderr, "hvzone: the zone %s; accesses forwarded to hvbridge by vCPU:", why);
	for (unsigned int i = 0; i < z.ncpus; i++)
		fprintf(stderr, " %llu",
			(unsigned long long)__atomic_load_n(&z.accesses[i], __ATOMIC_RELAXED));
	fprintf(stderr, "\n");
	for (int w = 0; z.link && w < 2; w++) {
		struct hvzone_rtt rt = hvzone_link_rtt(z.link, w);

		if (rt.n)
			fprintf(stderr,
				"hvzone: %s round trips: %llu, mean %.1f us, min %.1f, max %.1f\n",
				w ? "write" : "read", (unsigned long long)rt.n,
				(double)rt.sum_ns / (double)rt.n / 1e3, (double)rt.min_ns / 1e3,
				(double)rt.max_ns / 1e3);
	}
	return status;
}

static const struct hvzone_window *window(uint64_t addr)
{
	for (unsigned int i = 0; i < z.n_win; i++)
		if (addr - z.win[i].base < z.win[i].size)
			return &z.win[i];
	return NULL;
}

static void mmio(unsigned int cpu)
{
	struct kvm_run *r = z.run[cpu];
	uint64_t v = 0;

	const struct hvzone_window *w = window(r->mmio.phys_addr);

	if (!w || !z.link) {
		if (z.stray++ < 10)
			fprintf(stderr, "hvzone: %s of %u bytes at 0x%llx: no device\n",
				r->mmio.is_write ? "write" : "read", r->mmio.len,
				(unsigned long long)r->mmio.phys_addr);
		if (!r->mmio.is_write)
			memset(r->mmio.data, 0xff, sizeof(r->mmio.data));
		return;
	}
	if (r->mmio.is_write)
		memcpy(&v, r->mmio.data, r->mmio.len);
	__atomic_fetch_add(&z.accesses[cpu], 1, __ATOMIC_RELAXED);
	if (r->mmio.is_write && r->mmio.phys_addr - w->base == VIRTIO_MMIO_QUEUE_NOTIFY) {
		hvzone_link_notify(z.link, cpu, r->mmio.phys_addr, r->mmio.len, v);
		return;
	}
	v = hvzone_link_access(z.link, cpu, r->mmio.phys_addr, r->mmio.len, r->mmio.is_write, v);
	if (!r->mmio.is_write)
		memcpy(r->mmio.data, &v, r->mmio.len);
}

/* Returns an exit status when the zone ends, -1 to go on. */
static int pio(unsigned int cpu)
{
	struct kvm_run *r = z.run[cpu];
	uint8_t *data = (uint8_t *)r + r->io.data_offset;

	for (uint32_t i = 0; i < r->io.count; i++, data += r->io.size) {
		uint16_t port = r->io.port;
		bool out = r->io.direction == KVM_EXIT_IO_OUT;

		if (port >= UART_BASE && port < UART_BASE + 8) {
			if (out)
				hvzone_uart_out(&z.uart, port - UART_BASE, data[0]);
			else
				data[0] = hvzone_uart_in(&z.uart, port - UART_BASE);
		} else if (port == HVZONE_EXIT_PORT && out) {
			if (data[0] == HVZONE_EXIT_OFF)
				return ended(HVZONE_ST_POWEROFF, "powered off");
			z.panicked |= data[0] == HVZONE_EXIT_PANIC;
		} else if (out && ((port == 0x64 && data[0] == 0xfe) ||
				   (port == 0xcf9 && (data[0] & 4)))) {
			return z.panicked ? ended(HVZONE_ST_PANIC, "panicked")
					  : ended(HVZONE_ST_REBOOT, "rebooted");
		} else if (!out) {
			memset(data, 0xff, r->io.size); /* nothing there */
		}
	}
	return -1;
}

/* Where a vCPU was when the zone died, for the log: a triple fault says
 * nothing else. */
static void dump_regs(unsigned int cpu)
{
	struct kvm_regs r;
	struct kvm_sregs sr;

	if (ioctl(z.vcpu[cpu], KVM_GET_REGS, &r) < 0 || ioctl(z.vcpu[cpu], KVM_GET_SREGS, &sr) < 0)
		return;
	fprintf(stderr,
		"hvzone: vCPU %u: rip 0x%llx rsp 0x%llx rflags 0x%llx cr0 0x%llx cr2 0x%llx "
		"cr3 0x%llx cr4 0x%llx efer 0x%llx\n",
		cpu, (unsigned long long)r.rip, (unsigned long long)r.rsp,
		(unsigned long long)r.rflags, (unsigned long long)sr.cr0,
		(unsigned long long)sr.cr2, (unsigned long long)sr.cr3, (unsigned long long)sr.cr4,
		(unsigned long long)sr.efer);
}

static int run_vcpu(unsigned int cpu)
{
	struct kvm_run *run = z.run[cpu];

	for (;;) {
		int st = -1;

		if (ioctl(z.vcpu[cpu], KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			pthread_mutex_lock(&z.pio_lock);
			st = pio(cpu);
			pthread_mutex_unlock(&z.pio_lock);
			break;
		case KVM_EXIT_MMIO:
			mmio(cpu);
			break;
		case KVM_EXIT_SHUTDOWN:
			dump_regs(cpu);
			st = z.panicked ? ended(HVZONE_ST_PANIC, "panicked (triple fault after it)")
					: ended(HVZONE_ST_CRASH, "triple-faulted");
			break;
		case KVM_EXIT_FAIL_ENTRY:
			fprintf(stderr, "hvzone: KVM entry failed: reason 0x%llx\n",
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			return HVZONE_ST_CRASH;
		case KVM_EXIT_INTERNAL_ERROR:
			fprintf(stderr, "hvzone: KVM internal error %u\n", run->internal.suberror);
			dump_regs(cpu);
			return HVZONE_ST_CRASH;
		default:
			fprintf(stderr, "hvzone: unexpected exit %u\n", run->exit_reason);
			return HVZONE_ST_CRASH;
		}
		if (st >= 0)
			return st;
	}
}

/* BASE:IRQ[:SIZE] */
static void add_window(const char *arg)
{
	struct hvzone_window *w = &z.win[z.n_win];
	char *end;

	if (z.n_win == HVZONE_MAX_WINDOWS) {
		fprintf(stderr, "hvzone: at most %u windows\n", HVZONE_MAX_WINDOWS);
		exit(HVZONE_ST_ERROR);
	}
	w->base = strtoull(arg, &end, 0);
	w->size = 0x200;
	if (*end == ':')
		w->irq = (uint32_t)strtoul(end + 1, &end, 0);
	if (*end == ':')
		w->size = strtoull(end + 1, &end, 0);
	if (*end || w->irq == 0 || w->irq > 15 || w->irq == UART_IRQ || w->base < 0x80000000ull) {
		fprintf(stderr,
			"hvzone: --virtio %s: expected BASE:IRQ[:SIZE], a legacy IRQ (1-15, not 4) "
			"and BASE above 2 GiB\n",
			arg);
		exit(HVZONE_ST_ERROR);
	}
	z.n_win++;
}

/* The other vCPUs: the first to end ends the zone. */
static void *vcpu_thread(void *arg)
{
	exit(run_vcpu((unsigned int)(uintptr_t)arg));
}

static void create_vcpu(const struct hvzone_boot *boot, unsigned int id)
{
	long run_size = ioctl(z.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	if (run_size < 0)
		fail("KVM_GET_VCPU_MMAP_SIZE");
	if ((z.vcpu[id] = ioctl(z.vm, KVM_CREATE_VCPU, (unsigned long)id)) < 0)
		fail("KVM_CREATE_VCPU");
	z.run[id] = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, z.vcpu[id], 0);
	if (z.run[id] == MAP_FAILED)
		fail("mmap kvm_run");
	if ((errno = -hvzone_boot_vcpu(boot, z.kvm, z.vcpu[id], id)) != 0)
		fail("vCPU set-up");
}

static char *cmdline(const char *append)
{
	size_t len = strlen(CMDLINE_BASE) + (append ? strlen(append) : 0) + 64 * (z.n_win + 2);
	char *s = malloc(len);
	size_t at;

	if (!s)
		fail("malloc");
	at = (size_t)snprintf(s, len, "%s%s", CMDLINE_BASE, z.ncpus > 1 ? " noapic" : "");
	for (unsigned int i = 0; i < z.n_win; i++)
		at += (size_t)snprintf(
			s + at, len - at, "%s0x%llx@0x%llx:%u",
			i ? "," : " hvzone_guest.devices=", (unsigned long long)z.win[i].size,
			(unsigned long long)z.win[i].base, z.win[i].irq);
	if (append)
		snprintf(s + at, len - at, " %s", append);
	return s;
}

/* A memfd of its own per region, as hvbridge maps each apart. */
static void ram_region(struct hvzone_ram *r, uint64_t base, uint64_t size)
{
	int fd = memfd_create("hvzone-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	/* hvbridge maps it only if it cannot shrink under it. */
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		fail("zone RAM memfd");
	r->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->host == MAP_FAILED)
		fail("mmap zone RAM");
	r->base = base;
	r->size = size;
	r->fd = fd;
}

static bool overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

/* --ram2 BASE:MIB, once --mem is known: above the RAM from 0, clear of the
 * 32-bit hole and of the windows (some may be above 4 GiB), page-aligned
 * as a KVM memslot must be. */
static void ram2(const char *arg, uint64_t ram_size, uint64_t *base, uint64_t *size)
{
	char *end;
	uint64_t mib;

	*base = strtoull(arg, &end, 0);
	mib = *end == ':' ? strtoull(end + 1, &end, 0) : 0;
	*size = mib << 20;
	if (*end || mib < 1 || mib > 2048 || *base & 0xfff || *base < ram_size ||
	    overlap(*base, *size, HOLE_START, HOLE_END - HOLE_START) || *base > PHYS_END - *size) {
		fprintf(stderr,
			"hvzone: --ram2 %s: expected BASE:MIB, 1 to 2048 MiB at a page-aligned "
			"BASE, from the end of --mem's RAM (0x%llx) to 2 GiB or from 4 GiB to "
			"64 GiB\n",
			arg, (unsigned long long)ram_size);
		exit(HVZONE_ST_ERROR);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hvzone --kernel BZIMAGE [--initrd FILE] [--append ARGS] [--mem MIB] "
		   "[--cpus N]\n"
		   "              [--ram2 BASE:MIB] [--bridge SOCKET [--zone ID] "
		   "--virtio BASE:IRQ[:SIZE] ...]\n"
		   "              [--console FILE]\n"
		   "       hvzone --help | --version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"kernel", required_argument, NULL, 'k'},
		{"initrd", required_argument, NULL, 'i'},
		{"append", required_argument, NULL, 'a'},
		{"mem", required_argument, NULL, 'm'},
		{"ram2", required_argument, NULL, 'r'}, /* a second region of RAM */
		{"bridge", required_argument, NULL, 'b'},
		{"zone", required_argument, NULL, 'z'},
		{"virtio", required_argument, NULL, 'v'},
		{"console", required_argument, NULL, 'c'},
		{"cpus", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, /* "hvzone VERSION", status 0 */
		{0},
	};

	struct hvzone_boot boot = {0};
	const char *append = NULL, *bridge = NULL, *console = NULL, *ram2_arg = NULL;
	uint64_t mib = 256;
	uint32_t zone = 1;
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	struct hvzone_ram ram[HVZONE_MAX_RAM];
	unsigned int n_ram = 1;
	int c, out = STDOUT_FILENO;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			boot.kernel = optarg;
			break;
		case 'i':
			boot.initrd = optarg;
			break;
		case 'a':
			append = optarg;
			break;
		case 'm':
			mib = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			bridge = optarg;
			break;
		case 'z':
			zone = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'v':
			add_window(optarg);
			break;
		case 'c':
			console = optarg;
			break;
		case 'n':
			z.ncpus = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			ram2_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return hv_version("hvzone");
		default:
			usage(stderr);
			return HVZONE_ST_ERROR;
		}
	}
	if (!boot.kernel || optind != argc || z.ncpus < 1 || z.ncpus > HVZONE_MAX_VCPUS ||
	    mib < 32 || mib > 2048 || (z.n_win && !bridge)) {
		usage(stderr);
		return HVZONE_ST_ERROR;
	}
	if (console && (out = open(console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		fail(console);

	boot.ram_size = mib << 20;
	ram_region(&ram[0], 0, boot.ram_size);
	boot.ram = ram[0].host;
	if (ram2_arg) {
		ram2(ram2_arg, boot.ram_size, &boot.ram2_base, &boot.ram2_size);
		ram_region(&ram[n_ram++], boot.ram2_base, boot.ram2_size);
	}
	for (unsigned int i = 0; i < z.n_win; i++)
		for (unsigned int j = 0; j < n_ram; j++)
			if (overlap(z.win[i].base, z.win[i].size, ram[j].base, ram[j].size)) {
				fprintf(stderr, "hvzone: window 0x%llx is in RAM\n",
					(unsigned long long)z.win[i].base);
				return HVZONE_ST_ERROR;
			}
	boot.cmdline = cmdline(append);
	if (hvzone_boot_load(&boot) < 0 || (z.ncpus > 1 && hvzone_mptable(boot.ram, z.ncpus) < 0))
		return HVZONE_ST_ERROR;

	if ((z.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
		fail("/dev/kvm");
	if (ioctl(z.kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "hvzone: KVM API version is not %d\n", KVM_API_VERSION);
		return HVZONE_ST_ERROR;
	}
	if ((z.vm = ioctl(z.kvm, KVM_CREATE_VM, 0)) < 0)
		fail("KVM_CREATE_VM");
	/* Intel's VMX needs both pages somewhere out of the way; AMD ignores them. */
	if (ioctl(z.vm, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0)
		fail("KVM_SET_TSS_ADDR");
	if (ioctl(z.vm, KVM_SET_IDENTITY_MAP_ADDR, &(uint64_t){0xfffbc000}) < 0)
		fail("KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(z.vm, KVM_CREATE_IRQCHIP, 0) < 0)
		fail("KVM_CREATE_IRQCHIP");
	if (ioctl(z.vm, KVM_CREATE_PIT2, &pit) < 0)
		fail("KVM_CREATE_PIT2");
	for (unsigned int i = 0; i < n_ram; i++) {
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = ram[i].base,
			.memory_size = ram[i].size,
			.userspace_addr = (uintptr_t)ram[i].host,
		};

		if (ioctl(z.vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			fail("KVM_SET_USER_MEMORY_REGION");
	}
	for (unsigned int i = 0; i < z.ncpus; i++)
		create_vcpu(&boot, i);
	hvzone_uart_init(&z.uart, out, uart_irq, NULL);

	if (bridge && !(z.link = hvzone_link_open(bridge, zone, ram, n_ram, bridge_irq, NULL)))
		return HVZONE_ST_ERROR;
	fprintf(stderr, "hvzone: %u vCPU(s), %llu MiB", z.ncpus, (unsigned long long)mib);
	if (n_ram > 1)
		fprintf(stderr, " and %llu MiB at 0x%llx", (unsigned long long)(ram[1].size >> 20),
			(unsigned long long)ram[1].base);
	fprintf(stderr, ", kernel %s, command line: %s\n", boot.kernel, boot.cmdline);
	free((char *)boot.cmdline); /* the zone has its copy */
	for (unsigned int i = 1; i < z.ncpus; i++) {
		pthread_t t;

		if ((errno = pthread_create(&t, NULL, vcpu_thread, (void *)(uintptr_t)i)) != 0)
			fail("vCPU thread");
	}
	return run_vcpu(0);
}
