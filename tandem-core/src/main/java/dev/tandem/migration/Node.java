package dev.tandem.migration;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML or JSON value read from a migration file that remembers where it was written, so that every problem
 * found later can point at a line and column. Only {@link MigrationReader} uses it.
 */
abstract sealed class Node permits Node.MapNode, Node.ListNode, Node.Scalar {
    final SourceLocation location;

    Node(SourceLocation location) {
        this.location = location;
    }

    /** What kind of value this is, for messages: "a mapping", "a list", "a string", ... */
    abstract String describe();

    /** A mapping; keys keep their order and their own locations. */
    static final class MapNode extends Node {
        record Entry(String key, SourceLocation keyLocation, Node value) {}

        final Map<String, Entry> entries;

        MapNode(SourceLocation location, Map<String, Entry> entries) {
            super(location);
            this.entries = Collections.unmodifiableMap(entries);
        }

        boolean has(String key) {
            return entries.containsKey(key);
        }

        Entry entry(String key) {
            return entries.get(key);
        }

        Node get(String key) {
            Entry e = entries.get(key);
            return e == null ? null : e.value();
        }

        @Override
        String describe() {
            return "a mapping";
        }
    }

    static final class ListNode extends Node {
        final List<Node> items;

        ListNode(SourceLocation location, List<Node> items) {
            super(location);
            this.items = List.copyOf(items);
        }

        @Override
        String describe() {
            return "a list";
        }
    }

    static final class Scalar extends Node {
        /** INVALID: a value already reported as a problem while reading (e.g. a YAML alias); checks skip it. */
        enum Kind { STRING, NUMBER, BOOLEAN, NULL, INVALID }

        final Kind kind;
        /** The text as written (for YAML booleans and numbers: the source text, e.g. {@code yes} or {@code 1.50}). */
        final String text;
        final boolean booleanValue;

        Scalar(SourceLocation location, Kind kind, String text, boolean booleanValue) {
            super(location);
            this.kind = kind;
            this.text = text;
            this.booleanValue = booleanValue;
        }

        boolean isNull() {
            return kind == Kind.NULL;
        }

        @Override
        String describe() {
            return switch (kind) {
                case STRING -> "a string";
                case NUMBER -> "a number";
                case BOOLEAN -> "a boolean";
                case NULL -> "null";
                case INVALID -> "an invalid value";
            };
        }
    }

    static boolean isNull(Node n) {
        return n instanceof Scalar s && s.isNull();
    }

    static boolean isInvalid(Node n) {
        return n instanceof Scalar s && s.kind == Scalar.Kind.INVALID;
    }

    /**
     * Reads one value from a streaming parser (YAML or JSON) into a located tree. Problems that do not stop
     * reading (duplicate keys, YAML aliases, a second document) go to {@code problems}; syntax errors are
     * thrown by Jackson and handled by the caller. Returns null for an empty input.
     */
    static Node read(JsonParser parser, String file, List<MigrationException.Problem> problems) throws IOException {
        Builder b = new Builder(parser, file, problems);
        JsonToken t = parser.nextToken();
        if (t == null) return null;
        Node root = b.value(t);
        JsonToken extra = parser.nextToken();
        if (extra != null) {
            problems.add(new MigrationException.Problem(b.here(),
                    parser instanceof YAMLParser
                            ? "only one YAML document is allowed in a migration file (found a second one)"
                            : "unexpected content after the end of the JSON value"));
        }
        return root;
    }

    private static final class Builder {
        private final JsonParser p;
        private final String file;
        private final List<MigrationException.Problem> problems;

        Builder(JsonParser p, String file, List<MigrationException.Problem> problems) {
            this.p = p;
            this.file = file;
            this.problems = problems;
        }

        SourceLocation here() {
            JsonLocation l = p.currentTokenLocation();
            return new SourceLocation(file, l.getLineNr(), l.getColumnNr());
        }

        Node value(JsonToken t) throws IOException {
            SourceLocation loc = here();
            switch (t) {
                case START_OBJECT: {
                    Map<String, MapNode.Entry> entries = new LinkedHashMap<>();
                    for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                        if (k != JsonToken.FIELD_NAME) throw new IllegalStateException("unexpected token " + k);
                        String key = p.currentName();
                        SourceLocation keyLoc = here();
                        Node v = value(p.nextToken());
                        MapNode.Entry first = entries.get(key);
                        if (first != null) {
                            problems.add(new MigrationException.Problem(keyLoc, "duplicate key '" + key
                                    + "' (first at line " + first.keyLocation().line() + ")"));
                        } else {
                            entries.put(key, new MapNode.Entry(key, keyLoc, v));
                        }
                    }
                    return new MapNode(loc, entries);
                }
                case START_ARRAY: {
                    List<Node> items = new ArrayList<>();
                    for (JsonToken i = p.nextToken(); i != JsonToken.END_ARRAY; i = p.nextToken()) {
                        items.add(value(i));
                    }
                    return new ListNode(loc, items);
                }
                case VALUE_STRING:
                    if (p instanceof YAMLParser y && y.isCurrentAlias()) {
                        problems.add(new MigrationException.Problem(loc, "YAML aliases (*" + p.getText()
                                + ") are not supported; write the value out"));
                        return new Scalar(loc, Scalar.Kind.INVALID, p.getText(), false);
                    }
                    return new Scalar(loc, Scalar.Kind.STRING, p.getText(), false);
                case VALUE_NUMBER_INT:
                case VALUE_NUMBER_FLOAT:
                    return new Scalar(loc, Scalar.Kind.NUMBER, p.getText(), false);
                case VALUE_TRUE:
                case VALUE_FALSE:
                    return new Scalar(loc, Scalar.Kind.BOOLEAN, p.getText(), t == JsonToken.VALUE_TRUE);
                case VALUE_NULL:
                    return new Scalar(loc, Scalar.Kind.NULL, null, false);
                default:
                    problems.add(new MigrationException.Problem(loc, "unsupported value (" + t + ")"));
                    return new Scalar(loc, Scalar.Kind.INVALID, null, false);
            }
        }
    }
}
