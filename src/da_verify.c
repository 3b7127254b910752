/* da_verify.c: see its header. */
