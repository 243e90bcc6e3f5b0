"""Every figure a report shows: rates, rankings, the penalty, savings, business cases."""
