/* The one-time set-up that every public entry point runs first (dispatch/init.c). */
#ifndef ORTHOCONV_INIT_H
#define ORTHOCONV_INIT_H
#include "select.h"
void orthoconv_priv_init(void);
/* orthoconv_priv_init, then the choice for this shape. */
orthoconv_priv_choice orthoconv_priv_choose(orthoconv_op op, size_t M, size_t K, size_t N);
#endif
