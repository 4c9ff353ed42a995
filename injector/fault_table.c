/* SPDX-License-Identifier: Apache-2.0 */
#include "fault.h"

#include "macro.h"

static const struct fault_ops *const fault_table[] = {
	&disk_fill_ops,
	&disk_pressure_ops,
	&disk_throttle_ops,
	&net_netem_fault_ops,
	&net_partition_fault_ops,
	&proc_kill_ops,
	&proc_pause_ops,
};

const struct fault_ops *fault_ops_find(const char *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(fault_table); i++)
		if (streq(fault_table[i]->kind, kind))
			return fault_table[i];
	return NULL;
}

const char *fault_kinds_list(void)
{
	return "disk.fill, disk.pressure, disk.throttle, network, network.partition, process.kill, process.pause";
}
