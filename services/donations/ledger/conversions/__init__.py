"""Currency conversions of a fund's money, at a rate recorded with its source and date."""
