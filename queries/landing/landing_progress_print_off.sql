-- landing_progress_print_off: keeps DuckDB from drawing its own progress bar on the terminal for
-- this connection (session only); the caller reports progress itself. No parameters.
SET SESSION enable_progress_bar_print = FALSE
