/* SPDX-License-Identifier: MIT */
/*
 * A doubly linked FIFO of some struct with "next" and "prev" members:
 * HV_LIST(io_list, struct blk_io) makes struct io_list {head, tail} and
 * io_list_add() (at the tail) and io_list_del(). The storage engines keep
 * their requests in such lists (pending, in flight, done).
 */
#ifndef HVDPA_LIST_H
#define HVDPA_LIST_H

#include <stddef.h>

#define HV_LIST(name, type)                                                                        \
	struct name {                                                                              \
		type *head, *tail;                                                                 \
	};                                                                                         \
	static inline void name##_add(struct name *l, type *e)                                     \
	{                                                                                          \
		e->next = NULL;                                                                    \
		e->prev = l->tail;                                                                 \
		if (l->tail)                                                                       \
			l->tail->next = e;                                                         \
		else                                                                               \
			l->head = e;                                                               \
		l->tail = e;                                                                       \
	}                                                                                          \
	static inline void name##_del(struct name *l, type *e)                                     \
	{                                                                                          \
		if (e->prev)                                                                       \
			e->prev->next = e->next;                                                   \
		else                                                                               \
			l->head = e->next;                                                         \
		if (e->next)                                                                       \
			e->next->prev = e->prev;                                                   \
		else                                                                               \
			l->tail = e->prev;                                                         \
		e->next = e->prev = NULL;                                                          \
	}

#endif
