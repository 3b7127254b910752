/* da_mail.c: see its header. */
