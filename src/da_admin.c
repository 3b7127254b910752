/* da_admin.c: see its header. */
