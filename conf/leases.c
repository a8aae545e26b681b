/* SPDX-License-Identifier: BSD-3-Clause */
/* placeholder: implemented by its owner */
