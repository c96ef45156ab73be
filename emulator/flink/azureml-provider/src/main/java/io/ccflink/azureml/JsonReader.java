package io.ccflink.azureml;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON parser giving the values Python's {@code json.loads} gives: objects as ordered
 * maps, arrays as lists, integers as BigInteger, other numbers (and NaN, Infinity) as Double.
 * The provider has no JSON library at run time (Flink's classpath is not ours to add to).
 */
final class JsonReader {
    private final String text;
    private int at;

    private JsonReader(String text) {
        this.text = text;
    }

    /** The one value `text` holds; {@link IllegalArgumentException} if it is not JSON. */
    static Object parse(String text) {
        JsonReader reader = new JsonReader(text);
        Object value = reader.value();
        reader.skipSpace();
        if (reader.at != text.length()) {
            throw reader.error("extra data");
        }
        return value;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at character " + at);
    }

    private void skipSpace() {
        while (at < text.length() && " \t\n\r".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
    }

    private Object value() {
        skipSpace();
        if (at >= text.length()) {
            throw error("expected a value");
        }
        char c = text.charAt(at);
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            default:
                break;
        }
        for (Map.Entry<String, Object> literal : LITERALS.entrySet()) {
            if (text.startsWith(literal.getKey(), at)) {
                at += literal.getKey().length();
                return literal.getValue();
            }
        }
        return number();
    }

    private static final Map<String, Object> LITERALS = literals();

    private static Map<String, Object> literals() {
        Map<String, Object> found = new LinkedHashMap<>();
        found.put("true", Boolean.TRUE);
        found.put("false", Boolean.FALSE);
        found.put("null", null);
        found.put("NaN", Double.NaN);
        found.put("Infinity", Double.POSITIVE_INFINITY);
        found.put("-Infinity", Double.NEGATIVE_INFINITY);
        return found;
    }

    private Map<String, Object> object() {
        Map<String, Object> found = new LinkedHashMap<>();
        at++;
        skipSpace();
        if (at < text.length() && text.charAt(at) == '}') {
            at++;
            return found;
        }
        while (true) {
            skipSpace();
            if (at >= text.length() || text.charAt(at) != '"') {
                throw error("expected a property name");
            }
            String key = string();
            skipSpace();
            expect(':');
            found.put(key, value());
            skipSpace();
            if (at < text.length() && text.charAt(at) == ',') {
                at++;
                continue;
            }
            expect('}');
            return found;
        }
    }

    private List<Object> array() {
        List<Object> found = new ArrayList<>();
        at++;
        skipSpace();
        if (at < text.length() && text.charAt(at) == ']') {
            at++;
            return found;
        }
        while (true) {
            found.add(value());
            skipSpace();
            if (at < text.length() && text.charAt(at) == ',') {
                at++;
                continue;
            }
            expect(']');
            return found;
        }
    }

    private void expect(char wanted) {
        if (at >= text.length() || text.charAt(at) != wanted) {
            throw error("expected '" + wanted + "'");
        }
        at++;
    }

    private String string() {
        StringBuilder out = new StringBuilder();
        at++;
        while (at < text.length()) {
            char c = text.charAt(at++);
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (at >= text.length()) {
                break;
            }
            char escaped = text.charAt(at++);
            switch (escaped) {
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    if (at + 4 > text.length()) {
                        throw error("bad \\u escape");
                    }
                    out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> out.append(escaped);
            }
        }
        throw error("unterminated string");
    }

    private Object number() {
        int start = at;
        boolean integer = true;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            integer &= "0123456789-".indexOf(text.charAt(at)) >= 0;
            at++;
        }
        String literal = text.substring(start, at);
        try {
            return integer ? new BigInteger(literal) : Double.valueOf(literal);
        } catch (NumberFormatException e) {
            at = start;
            throw error("expected a value");
        }
    }
}
