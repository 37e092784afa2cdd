package dev.tandem.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import dev.tandem.engine.LockMode;
import dev.tandem.state.Phase;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Locale;

/**
 * The CLI's JSON: snake_case field names, instants as ISO-8601 text, phases by their name ({@code expanded}),
 * other enums in lower case. Events are one compact object per line; reports ({@code status}, {@code plan}) are
 * one pretty-printed document.
 */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .registerModule(new SimpleModule("tandem-cli")
                    .addSerializer(Instant.class, ToStringSerializer.instance)
                    .addSerializer(Enum.class, new EnumSerializer()));

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static ObjectNode event(String name) {
        return object().put("event", name);
    }

    /** Writes one compact JSON value and a newline, and flushes, so a reader sees every event at once. */
    static void line(PrintWriter out, Object value) {
        try {
            String text = MAPPER.writeValueAsString(value);
            synchronized (out) {
                out.println(text);
                out.flush();
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    /**
     * A document whose field names are all Tandem's (no names of the user's inside, such as key columns), with the
     * ones that records fix in camelCase for the state's own JSON (Step's skipIf) written snake_case as well.
     */
    static void snakeCaseDocument(PrintWriter out, Object value) {
        document(out, snakeCase(MAPPER.valueToTree(value)));
    }

    private static com.fasterxml.jackson.databind.JsonNode snakeCase(com.fasterxml.jackson.databind.JsonNode node) {
        if (node.isObject()) {
            com.fasterxml.jackson.databind.node.ObjectNode out = MAPPER.createObjectNode();
            node.fields().forEachRemaining(e -> out.set(e.getKey().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT),
                    snakeCase(e.getValue())));
            return out;
        }
        if (node.isArray()) {
            com.fasterxml.jackson.databind.node.ArrayNode out = MAPPER.createArrayNode();
            node.forEach(n -> out.add(snakeCase(n)));
            return out;
        }
        return node;
    }

    static void document(PrintWriter out, Object value) {
        try {
            out.println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
            out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("rawtypes")
    private static final class EnumSerializer extends JsonSerializer<Enum> {
        @Override
        public void serialize(Enum value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            // Lock modes as PostgreSQL names them (ACCESS EXCLUSIVE), phases by their text.
            gen.writeString(value instanceof Phase p ? p.text : value instanceof LockMode m ? m.text
                    : value.name().toLowerCase(Locale.ROOT));
        }
    }
}
