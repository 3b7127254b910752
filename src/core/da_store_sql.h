/* da_store_sql.h: the statement helpers of da_store.c, for the other
 * da_store_*.c files (not for callers of the store). Same return values
 * as da_store.h. */
#ifndef DA_STORE_SQL_H
#define DA_STORE_SQL_H

#include "da_store.h"

typedef void (*da_store_row_fn)(da_db_t *db, apr_dbd_row_t *row, void *baton);

/* Run a statement that changes rows; *nrows (may be NULL) gets how many. */
apr_status_t da_store_exec(da_db_t *db, const char *label, int *nrows, int nargs,
                           const char **args);

/* Run a query, fn on each row (all are read); APR_NOTFOUND: no row. */
apr_status_t da_store_query(da_db_t *db, const char *label, int nargs,
                            const char **args, da_store_row_fn fn, void *baton);

/* Column n of a row as a string ("" for NULL) or a number (0 for NULL). */
const char *da_store_col(da_db_t *db, apr_dbd_row_t *row, int n);
apr_int64_t da_store_col_num(da_db_t *db, apr_dbd_row_t *row, int n);

/* A number as the decimal string a statement's %lld/%d takes. */
const char *da_store_num(da_db_t *db, apr_int64_t v);

#endif
