/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: RRQs, ACKs, ERRORs and polls fed into one TFTP engine over
 * a tiny root (fixture and checks: harness/fz_tftp.c).  Input: records
 * [ctl][len][len bytes], ctl as fz_tftp_op() reads it.  Every input is run
 * twice: DATA through env.send (the copy path), then through
 * env.send_data (the run path the dataplane uses, 0-byte last blocks and
 * partial takes included).  Then every transfer is run to its end.
 */
#include "tests/fuzz/harness/fz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int runs = 0; runs < 2; runs++) {
		struct fz_tftp *t = fz_tftp_new(runs);

		for (size_t i = 0; i + 2 <= size;) {
			uint8_t ctl = data[i], len = data[i + 1];

			i += 2;
			if (len > size - i)
				len = (uint8_t)(size - i);
			fz_tftp_op(t, ctl, data + i, len);
			i += len;
		}
		fz_tftp_finish(t);
	}
	return 0;
}
