"""SPV evidence of counted UTXOs: collected by the worker, served from the database."""
