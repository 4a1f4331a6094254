// SPDX-License-Identifier: MIT
/*
 * A 16550A on the zone's COM1 (0x3f8, IRQ 4), output only: what the zone
 * writes goes straight to out_fd, so the transmitter is always empty and
 * the receiver never has data. Enough for Linux's 8250 driver: it keeps
 * what is written to IER, LCR, MCR, the divisor and the scratch register;
 * IIR reports a FIFO (0xc0) and the THR-empty interrupt while IER asks for
 * it. The interrupt line follows that level (the driver turns THRI off
 * when it has nothing more to send), and set_irq hears of each change.
 * Runs on the vCPU thread only.
 */
#include <errno.h>
#include <unistd.h>

#include "hvzone.h"

#define IER_THRI  0x02
#define IIR_NONE  0x01
#define IIR_THRI  0x02
#define IIR_FIFO  0xc0
#define LCR_DLAB  0x80
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define MSR_READY 0xb0 /* DCD, DSR, CTS */

static void update_irq(struct hvzone_uart *u)
{
	int level = (u->ier & IER_THRI) != 0;

	if (level != u->irq_level) {
		u->irq_level = level;
		u->set_irq(u->arg, level);
	}
}

void hvzone_uart_init(struct hvzone_uart *u, int out_fd, void (*set_irq)(void *, int), void *arg)
{
	*u = (struct hvzone_uart){.out_fd = out_fd, .set_irq = set_irq, .arg = arg, .mcr = 0x08};
}

static void put(struct hvzone_uart *u, uint8_t c)
{
	while (write(u->out_fd, &c, 1) < 0 && errno == EINTR)
		;
}

uint8_t hvzone_uart_in(struct hvzone_uart *u, unsigned int off)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (off) {
	case 0:
		return dlab ? u->dll : 0;
	case 1:
		return dlab ? u->dlm : u->ier;
	case 2:
		return (u->ier & IER_THRI ? IIR_THRI : IIR_NONE) | (u->fcr & 1 ? IIR_FIFO : 0);
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		return LSR_THRE | LSR_TEMT;
	case 6:
		return MSR_READY;
	case 7:
		return u->scr;
	}
	return 0xff;
}

void hvzone_uart_out(struct hvzone_uart *u, unsigned int off, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (off) {
	case 0:
		if (dlab)
			u->dll = val;
		else if (!(u->mcr & 0x10)) /* loopback: nothing leaves */
			put(u, val);
		break;
	case 1:
		if (dlab)
			u->dlm = val;
		else
			u->ier = val & 0x0f;
		break;
	case 2:
		u->fcr = val;
		break;
	case 3:
		u->lcr = val;
		break;
	case 4:
		u->mcr = val;
		break;
	case 7:
		u->scr = val;
		break;
	}
	update_irq(u);
}
