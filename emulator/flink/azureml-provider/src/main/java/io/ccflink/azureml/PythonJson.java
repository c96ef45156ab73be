package io.ccflink.azureml;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * JSON text written exactly as the Python function writes it ({@code json.dumps} with
 * {@code separators=(",", ":")} and {@code ensure_ascii=False}), so both paths send the same
 * bytes: floats as Python's {@code repr} (the shortest digits that read back to the same
 * double), non-finite floats as null, strings with Python's escapes.
 */
final class PythonJson {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    // Up to 15 significant digits, a normal double's decimal form is unique: Double.toString's
    // is then Python's. Longer ones, and subnormals, are searched for the shortest, closest
    // digits (Java 17's Double.toString is not always the shortest).
    private static final int UNIQUE_DIGITS = 15;

    private PythonJson() {}

    /** A JSON value as parsed by {@link JsonReader}, or a Java scalar, appended as text. */
    static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            writeString(out, s);
        } else if (value instanceof Double d) {
            writeDouble(out, d);
        } else if (value instanceof Boolean || value instanceof BigInteger || value instanceof Long) {
            out.append(value);
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(out, list.get(i));
            }
            out.append(']');
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                writeString(out, (String) entry.getKey());
                out.append(':');
                write(out, entry.getValue());
            }
            out.append('}');
        } else {
            throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
        }
    }

    static void writeString(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** A double as the Python function sends it: its repr, or null when not finite. */
    static void writeDouble(StringBuilder out, double value) {
        out.append(Double.isFinite(value) ? repr(value) : "null");
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, exponent below 1e-4 or from 1e16. */
    static String repr(double value) {
        if (value == 0.0) {
            return Double.doubleToRawLongBits(value) < 0 ? "-0.0" : "0.0";
        }
        double magnitude = Math.abs(value);
        Digits digits = Digits.of(Double.toString(magnitude));
        if (digits.text.length() > UNIQUE_DIGITS || magnitude < Double.MIN_NORMAL) {
            digits = shortest(magnitude, digits.text.length());
        }
        return (value < 0 ? "-" : "") + digits.format();
    }

    /** The shortest decimal reading back as `magnitude`, the closest one if several. */
    private static Digits shortest(double magnitude, int atMost) {
        BigDecimal exact = new BigDecimal(magnitude);
        BigDecimal best = closest(exact, magnitude, atMost);
        for (int precision = atMost - 1; precision > 0; precision--) {
            BigDecimal shorter = closest(exact, magnitude, precision);
            if (shorter == null) {
                break;
            }
            best = shorter;
        }
        if (best == null) { // Double.toString's own digits always read back
            return Digits.of(Double.toString(magnitude));
        }
        BigDecimal stripped = best.stripTrailingZeros();
        String text = stripped.unscaledValue().toString();
        return new Digits(text, text.length() - stripped.scale());
    }

    /** Of the two `precision`-digit neighbours of `exact`, the closer one reading back, if any. */
    private static BigDecimal closest(BigDecimal exact, double magnitude, int precision) {
        BigDecimal down = exact.round(new MathContext(precision, RoundingMode.FLOOR));
        BigDecimal up = exact.round(new MathContext(precision, RoundingMode.CEILING));
        boolean downReads = down.doubleValue() == magnitude;
        boolean upReads = up.doubleValue() == magnitude;
        if (downReads && upReads) {
            return exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
        }
        return downReads ? down : (upReads ? up : null);
    }

    /** Significant digits and the decimal point's place: the value is 0.{text} x 10^point. */
    private record Digits(String text, int point) {
        static Digits of(String javaText) {
            int exponentAt = javaText.indexOf('E');
            String mantissa = exponentAt < 0 ? javaText : javaText.substring(0, exponentAt);
            int exponent = exponentAt < 0 ? 0 : Integer.parseInt(javaText.substring(exponentAt + 1));
            int dot = mantissa.indexOf('.');
            String all = mantissa.substring(0, dot) + mantissa.substring(dot + 1);
            int point = dot + exponent;
            int start = 0;
            while (start < all.length() - 1 && all.charAt(start) == '0') {
                start++;
            }
            int end = all.length();
            while (end > start + 1 && all.charAt(end - 1) == '0') {
                end--;
            }
            return new Digits(all.substring(start, end), point - start);
        }

        String format() {
            int count = text.length();
            if (point > -4 && point <= 16) {
                if (point <= 0) {
                    return "0." + "0".repeat(-point) + text;
                }
                if (point >= count) {
                    return text + "0".repeat(point - count) + ".0";
                }
                return text.substring(0, point) + "." + text.substring(point);
            }
            int exponent = point - 1;
            String mantissa = count > 1 ? text.charAt(0) + "." + text.substring(1) : text;
            String magnitude = Integer.toString(Math.abs(exponent));
            return mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude.length() < 2 ? "0" : "") + magnitude;
        }
    }
}
