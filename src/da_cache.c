/* da_cache.c: see its header. */
