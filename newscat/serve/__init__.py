"""Stage export and the `newscat predict` command: trained models applied to raw text."""
