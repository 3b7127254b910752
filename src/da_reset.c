/* da_reset.c: see its header. */
