/* Host stand-in for the MSDK header `sema_regs.h` (qtool equivalence harness): the semaphore
 * block and its MXC_* pointer live in the stand-in mxc.h, as they do in the SDK's device header. */
#ifndef QTOOL_SDK_STUB_SEMA_REGS_H
#define QTOOL_SDK_STUB_SEMA_REGS_H
#include "mxc.h"
#endif
