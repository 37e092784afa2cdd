package dev.tandem.migration;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One migration file. Its {@code name} (the file name without extension) is also the name of the application
 * version that expects the schema it describes.
 *
 * @param checksum       SHA-256 of the file's bytes, to refuse a file edited after it was expanded
 * @param fieldLocations per operation, where each of its fields was written (a nested field as {@code column.check}),
 *                       so that a problem found later, against the database, points at its line
 */
public record Migration(String name, String file, List<Operation> operations, String checksum,
                        Map<Operation, Map<String, SourceLocation>> fieldLocations) {
    public Migration {
        operations = List.copyOf(operations);
        Map<Operation, Map<String, SourceLocation>> byIdentity = new IdentityHashMap<>();
        if (fieldLocations != null) byIdentity.putAll(fieldLocations);
        fieldLocations = byIdentity;
    }

    public Migration(String name, String file, List<Operation> operations, String checksum) {
        this(name, file, operations, checksum, Map.of());
    }

    /** Where {@code field} of {@code operation} was written; the operation's own place when that is not known. */
    public SourceLocation at(Operation operation, String field) {
        Map<String, SourceLocation> fields = fieldLocations.get(operation);
        SourceLocation at = fields == null ? null : fields.get(field);
        return at != null ? at : operation.location();
    }
}
