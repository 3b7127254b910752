/* da_resume.c: see its header. */
