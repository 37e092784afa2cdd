package dev.tandem.migration;

/** A reference to a column of another table; {@code onDelete} is one of NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT. */
public record ForeignKey(String table, String column, String onDelete) {
    public ForeignKey {
        onDelete = onDelete == null ? "NO ACTION" : onDelete.toUpperCase(java.util.Locale.ROOT);
    }
}
