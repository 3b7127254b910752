/* da_multipart.c: see its header. */
