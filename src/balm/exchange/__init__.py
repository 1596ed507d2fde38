"""Moving data in and out of balm (pure, no Django): statistics-package files
(:mod:`~balm.exchange.statfiles`), REDCap data dictionaries and records
(:mod:`~balm.exchange.redcap`) and past cohorts' spreadsheets (:mod:`~balm.exchange.past`)."""
