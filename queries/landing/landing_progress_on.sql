-- landing_progress_on: lets this connection (session only) track query progress, so a long load
-- can report it through con.query_progress(). Pair with landing_progress_print_off. No parameters.
SET SESSION enable_progress_bar = TRUE
