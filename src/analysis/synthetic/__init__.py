"""The demo municipality's raw exports, in the forms real exports come in."""
