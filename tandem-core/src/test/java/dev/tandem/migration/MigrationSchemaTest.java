package dev.tandem.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps docs/schema/migration.schema.json and docs/FORMAT.md in step with what {@link MigrationReader} accepts.
 */
class MigrationSchemaTest {

    private static Path docs;
    private static JsonNode schema;

    @BeforeAll
    static void load() throws IOException {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("docs/schema/migration.schema.json"))) p = p.getParent();
        assertThat(p).as("project root with docs/schema/migration.schema.json above the working directory")
                .isNotNull();
        docs = p.resolve("docs");
        schema = new ObjectMapper().readTree(docs.resolve("schema/migration.schema.json").toFile());
    }

    private static Set<String> names(JsonNode objectNode) {
        Set<String> out = new LinkedHashSet<>();
        objectNode.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static Set<String> strings(JsonNode arrayNode) {
        Set<String> out = new LinkedHashSet<>();
        if (arrayNode != null) arrayNode.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static JsonNode def(String name) {
        JsonNode d = schema.path("$defs").path(name);
        assertThat(d.isObject()).as("$defs/" + name).isTrue();
        return d;
    }

    @Test
    void schemaIsDraft202012WithOnlyOperations() {
        assertThat(schema.path("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
        assertThat(names(schema.path("properties"))).containsExactly("operations");
        assertThat(strings(schema.path("required"))).containsExactly("operations");
        assertThat(schema.path("properties").path("operations").path("minItems").asInt()).isEqualTo(1);
    }

    @Test
    void operationKindsMatchTheReader() {
        JsonNode oneOf = def("operation").path("oneOf");
        List<String> kinds = new ArrayList<>();
        for (JsonNode branch : oneOf) {
            Set<String> props = names(branch.path("properties"));
            assertThat(props).hasSize(1);
            String kind = props.iterator().next();
            kinds.add(kind);
            assertThat(strings(branch.path("required"))).containsExactly(kind);
            assertThat(branch.path("additionalProperties").asBoolean(true)).isFalse();
            assertThat(branch.path("properties").path(kind).path("$ref").asText()).isEqualTo("#/$defs/" + kind);
        }
        assertThat(kinds).containsExactlyElementsOf(MigrationReader.FIELDS.keySet());
    }

    @Test
    void fieldsOfEveryOperationMatchTheReader() {
        for (Map.Entry<String, Set<String>> e : MigrationReader.FIELDS.entrySet()) {
            JsonNode d = def(e.getKey());
            assertThat(names(d.path("properties"))).as(e.getKey() + " properties")
                    .containsExactlyInAnyOrderElementsOf(e.getValue());
            assertThat(strings(d.path("required"))).as(e.getKey() + " required")
                    .containsExactlyInAnyOrderElementsOf(MigrationReader.REQUIRED.get(e.getKey()));
        }
    }

    @Test
    void fieldsOfNestedMappingsMatchTheReader() {
        for (Map.Entry<String, Set<String>> e : MigrationReader.NESTED_FIELDS.entrySet()) {
            JsonNode d = def(e.getKey());
            assertThat(names(d.path("properties"))).as(e.getKey() + " properties")
                    .containsExactlyInAnyOrderElementsOf(e.getValue());
            assertThat(strings(d.path("required"))).as(e.getKey() + " required")
                    .containsExactlyInAnyOrderElementsOf(MigrationReader.NESTED_REQUIRED.get(e.getKey()));
        }
        assertThat(def("create_table").path("properties").path("columns").path("items").path("$ref").asText())
                .isEqualTo("#/$defs/column");
        assertThat(def("add_column").path("properties").path("column").path("$ref").asText())
                .isEqualTo("#/$defs/new_column");
        assertThat(def("add_constraint").path("properties").path("foreign_key").path("$ref").asText())
                .isEqualTo("#/$defs/foreign_key");
        assertThat(def("column").path("properties").path("references").path("$ref").asText())
                .isEqualTo("#/$defs/references");
        assertThat(def("alter_column").path("properties").path("references").path("$ref").asText())
                .isEqualTo("#/$defs/references");
    }

    @Test
    void enumerationsMatchTheReader() {
        Set<String> onDelete = new HashSet<>();
        def("on_delete").path("enum").forEach(n -> onDelete.add(n.asText().toUpperCase(Locale.ROOT)));
        assertThat(onDelete).containsExactlyInAnyOrderElementsOf(MigrationReader.ON_DELETE_ACTIONS);
        assertThat(strings(def("create_index").path("properties").path("method").path("enum")))
                .containsExactlyInAnyOrderElementsOf(MigrationReader.INDEX_METHODS);
        assertThat(strings(def("column").path("properties").path("generated").path("enum")))
                .containsExactlyInAnyOrderElementsOf(MigrationReader.GENERATED_KINDS);
        assertThat(def("identifier").path("maxLength").asInt()).isEqualTo(MigrationReader.MAX_IDENTIFIER_BYTES);
    }

    @Test
    void everyObjectIsClosedAndEveryPropertyDescribed() {
        List<String> bad = new ArrayList<>();
        walk(schema, "#", bad);
        assertThat(bad).isEmpty();
    }

    private static void walk(JsonNode node, String path, List<String> bad) {
        if (node.isObject()) {
            if (node.has("properties")) {
                if (!node.path("additionalProperties").isBoolean() || node.path("additionalProperties").asBoolean()) {
                    bad.add(path + ": additionalProperties is not false");
                }
                node.path("properties").fields().forEachRemaining(p -> {
                    if (p.getValue().path("description").asText("").isBlank()) {
                        bad.add(path + "/properties/" + p.getKey() + ": no description");
                    }
                });
            }
            node.fields().forEachRemaining(f -> walk(f.getValue(), path + "/" + f.getKey(), bad));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) walk(node.get(i), path + "/" + i, bad);
        }
    }

    /** Every complete example in FORMAT.md parses; the one marked "# wrong" is refused. */
    @Test
    void formatDocExamplesAreValid(@TempDir Path dir) throws IOException {
        String doc = Files.readString(docs.resolve("FORMAT.md"));
        Matcher m = Pattern.compile("```(yaml|json)\\n(.*?)```", Pattern.DOTALL).matcher(doc);
        int n = 0;
        int checked = 0;
        while (m.find()) {
            String body = m.group(2);
            if (!body.contains("operations")) continue;
            Path f = dir.resolve(String.format("%03d_example.%s", ++n, m.group(1)));
            Files.writeString(f, body);
            if (body.contains("# wrong")) {
                try {
                    MigrationReader.readFile(f);
                    throw new AssertionError("example should be refused:\n" + body);
                } catch (MigrationException e) {
                    assertThat(e.getMessage()).contains("indented under it");
                }
            } else {
                try {
                    assertThat(MigrationReader.readFile(f).operations()).isNotEmpty();
                } catch (MigrationException e) {
                    throw new AssertionError("example in FORMAT.md is refused: " + e.getMessage() + "\n" + body, e);
                }
            }
            checked++;
        }
        assertThat(checked).isGreaterThanOrEqualTo(14);
    }

    /** FORMAT.md documents every operation under its own heading. */
    @Test
    void formatDocHasASectionPerOperation() throws IOException {
        String doc = Files.readString(docs.resolve("FORMAT.md"));
        for (String kind : MigrationReader.FIELDS.keySet()) {
            String heading = "### `" + kind + "`";
            assertThat(doc).as("FORMAT.md section for " + kind).contains(heading);
            String section = doc.substring(doc.indexOf(heading) + heading.length());
            int next = section.indexOf("\n### ");
            if (next >= 0) section = section.substring(0, next);
            for (String field : MigrationReader.FIELDS.get(kind)) {
                assertThat(section).as("row for " + kind + "." + field).contains("| `" + field + "`");
            }
        }
        String columnSection = doc.substring(doc.indexOf("### Column definition"), doc.indexOf("### `create_table`"));
        for (String field : MigrationReader.NESTED_FIELDS.get("column")) {
            assertThat(columnSection).as("row for column." + field).contains("| `" + field + "`");
        }
    }
}
