"""Forms, one module per page: the only reader of what people type."""
