/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: arbitrary bytes as <state_dir>/leases.journal, replayed by
 * journal_open() (mirror table, torn-tail truncation, header written to an
 * empty file) and read by journal_read_file(), with the invariants of
 * harness/fz_journal.c.  Every input is replayed twice: as is, and with
 * each frame's CRC fixed up (libFuzzer cannot forge CRC32s, so without
 * this the event fields and the lease table behind them would never be
 * reached).
 */
#include <string.h>

#include "control/daemon/journal.h"
#include "tests/fuzz/harness/fz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > JOURNAL_MAX_PAYLOAD * 32)
		return 0; /* the check reads back at most 64 payloads' worth */
	fz_journal_replay(data, size);
	uint8_t *fixed = malloc(size ? size : 1);
	FZ_CHECK(fixed != NULL);
	memcpy(fixed, data, size);
	if (fz_journal_fix_crcs(fixed, size))
		fz_journal_replay(fixed, size);
	free(fixed);
	return 0;
}
