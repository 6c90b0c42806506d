package dev.emend.eval.report;

import java.util.List;
import java.util.Locale;

/**
 * Small SVG charts for reports, written as text (no AWT, so nothing depends on a display or fonts being installed):
 * a heatmap and rows of histograms. Colours follow viridis (perceptually even, readable in grey and for the common
 * colour-vision deficiencies).
 */
public final class Charts {
    private Charts() {}

    private static final int[][] VIRIDIS = {{0x44, 0x01, 0x54}, {0x3b, 0x52, 0x8b}, {0x21, 0x91, 0x8c}, {0x5e, 0xc9, 0x62},
        {0xfd, 0xe7, 0x25}};
    private static final String FONT = "font-family=\"Helvetica, Arial, sans-serif\"";

    /**
     * A heatmap: one row per label, one column per index, a value per cell (0 drawn grey and blank: no change). The
     * colour scale is linear from 0, or logarithmic between the smallest and largest non-zero value when they differ
     * by more than 20× (one method's norms would otherwise wash out another's); the legend says which.
     *
     * @param title the title
     * @param rows row labels
     * @param columnLabel the column axis' name, e.g. "layer"
     * @param values values[row][column], ≥ 0
     * @return an SVG document
     */
    public static String heatmap(String title, List<String> rows, String columnLabel, double[][] values) {
        int columns = values.length == 0 ? 0 : values[0].length;
        int cellW = 56;
        int cellH = 26;
        int left = 14 + 7 * rows.stream().mapToInt(String::length).max().orElse(4);
        int top = 46;
        int legendW = 110;
        int width = left + columns * cellW + 24 + legendW;
        int height = top + rows.size() * cellH + 44;
        double max = 0;
        double min = Double.POSITIVE_INFINITY;
        for (double[] r : values) {
            for (double v : r) {
                max = Math.max(max, v);
                if (v > 0) {
                    min = Math.min(min, v);
                }
            }
        }
        boolean log = max > 0 && max / min > 20;
        double lo = log ? min : 0;
        double hi = max;
        java.util.function.DoubleUnaryOperator scale = log ? v -> Math.log(v / lo) / Math.log(hi / lo) : v -> v / hi;
        StringBuilder s = open(width, height, title);
        s.append(text(10, 20, title, 14, "start", "bold"));
        for (int r = 0; r < rows.size(); r++) {
            int y = top + r * cellH;
            s.append(text(left - 8, y + cellH / 2 + 4, rows.get(r), 11, "end", null));
            for (int c = 0; c < columns; c++) {
                int x = left + c * cellW;
                double v = values[r][c];
                String fill = v > 0 ? viridis(scale.applyAsDouble(v)) : "#eeeeee";
                s.append("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#ffffff\"><title>%s, %s %d: %s</title></rect>\n"
                        .formatted(x, y, cellW, cellH, fill, esc(rows.get(r)), esc(columnLabel), c, fmt(v)));
                if (v > 0) {
                    boolean dark = scale.applyAsDouble(v) < 0.6;
                    s.append("<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" fill=\"%s\" %s>%s</text>\n"
                            .formatted(x + cellW / 2, y + cellH / 2 + 4, dark ? "#ffffff" : "#000000", FONT, esc(fmt(v))));
                }
            }
        }
        int axisY = top + rows.size() * cellH + 16;
        for (int c = 0; c < columns; c++) {
            s.append(text(left + c * cellW + cellW / 2, axisY, String.valueOf(c), 11, "middle", null));
        }
        s.append(text(left + columns * cellW / 2, axisY + 18, columnLabel, 11, "middle", null));
        // legend: a vertical gradient from 0 to max
        int lx = left + columns * cellW + 24;
        int lh = Math.max(60, rows.size() * cellH);
        s.append("<defs><linearGradient id=\"g\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
        for (int i = 0; i < VIRIDIS.length; i++) {
            s.append("<stop offset=\"%d%%\" stop-color=\"%s\"/>".formatted(i * 100 / (VIRIDIS.length - 1), viridis((double) i / (VIRIDIS.length - 1))));
        }
        s.append("</linearGradient></defs>\n");
        s.append("<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"%d\" fill=\"url(#g)\"/>\n".formatted(lx, top, lh));
        s.append(text(lx + 20, top + 10, fmt(hi), 10, "start", null));
        s.append(text(lx + 20, top + lh, fmt(lo), 10, "start", null));
        s.append(text(lx, top - 8, log ? "‖ΔW‖ (log)" : "‖ΔW‖", 11, "start", null));
        return s.append("</svg>\n").toString();
    }

    /**
     * One histogram panel.
     *
     * @param name what is counted, e.g. "rewrite_acc"
     * @param values one value per case
     * @param lo the lowest bin edge
     * @param hi the highest bin edge (values equal to it go in the last bin)
     */
    public record Panel(String name, List<Double> values, double lo, double hi) {}

    /**
     * A row of histograms with ten bins each.
     *
     * @param title the title
     * @param panels the panels, left to right
     * @return an SVG document
     */
    public static String histograms(String title, List<Panel> panels) {
        int bins = 10;
        int pw = 200;
        int ph = 120;
        int gap = 30;
        int top = 50;
        int width = 20 + panels.size() * (pw + gap);
        int height = top + ph + 50;
        StringBuilder s = open(width, height, title);
        s.append(text(10, 20, title, 14, "start", "bold"));
        for (int p = 0; p < panels.size(); p++) {
            Panel panel = panels.get(p);
            int x0 = 20 + p * (pw + gap);
            int[] counts = new int[bins];
            double span = panel.hi() - panel.lo();
            for (double v : panel.values()) {
                int b = span <= 0 ? 0 : (int) Math.floor((v - panel.lo()) / span * bins);
                counts[Math.max(0, Math.min(bins - 1, b))]++;
            }
            int max = 1;
            for (int c : counts) {
                max = Math.max(max, c);
            }
            s.append(text(x0, top - 12, "%s (n=%d)".formatted(panel.name(), panel.values().size()), 11, "start", "bold"));
            s.append("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444444\"/>\n".formatted(x0, top + ph, x0 + pw, top + ph));
            int bw = pw / bins;
            for (int b = 0; b < bins; b++) {
                int h = (int) Math.round((double) counts[b] / max * (ph - 12));
                int x = x0 + b * bw;
                s.append("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s–%s: %d</title></rect>\n".formatted(
                        x + 1, top + ph - h, bw - 2, h, viridis(0.35), fmt(panel.lo() + span * b / bins),
                        fmt(panel.lo() + span * (b + 1) / bins), counts[b]));
                if (counts[b] > 0) {
                    s.append(text(x + bw / 2, top + ph - h - 3, String.valueOf(counts[b]), 9, "middle", null));
                }
            }
            s.append(text(x0, top + ph + 14, fmt(panel.lo()), 10, "start", null));
            s.append(text(x0 + pw, top + ph + 14, fmt(panel.hi()), 10, "end", null));
        }
        return s.append("</svg>\n").toString();
    }

    static String viridis(double t) {
        t = Math.max(0, Math.min(1, t));
        double pos = t * (VIRIDIS.length - 1);
        int i = Math.min(VIRIDIS.length - 2, (int) Math.floor(pos));
        double f = pos - i;
        int[] a = VIRIDIS[i];
        int[] b = VIRIDIS[i + 1];
        return String.format(Locale.ROOT, "#%02x%02x%02x", Math.round(a[0] + f * (b[0] - a[0])),
                Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2])));
    }

    static String fmt(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        return a >= 100 ? String.format(Locale.ROOT, "%.0f", v) : a >= 10 ? String.format(Locale.ROOT, "%.1f", v)
                : a >= 0.01 ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%.1e", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static StringBuilder open(int width, int height, String title) {
        return new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n<title>%s</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
                .formatted(width, height, width, height, esc(title), esc(title)));
    }

    private static String text(int x, int y, String s, int size, String anchor, String weight) {
        return "<text x=\"%d\" y=\"%d\" font-size=\"%d\" text-anchor=\"%s\"%s %s>%s</text>\n".formatted(x, y, size, anchor,
                weight == null ? "" : " font-weight=\"" + weight + "\"", FONT, esc(s));
    }
}
