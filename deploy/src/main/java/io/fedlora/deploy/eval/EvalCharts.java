package io.fedlora.deploy.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The PNGs of a run: metric per round per arm, final metric against ε, federated against each client alone. */
public final class EvalCharts {

    public static final String PER_ROUND = "metric-per-round.png";
    public static final String VS_EPSILON = "metric-vs-epsilon.png";
    public static final String PER_CLIENT = "federated-vs-local.png";
    private static final int WIDTH = 720;
    private static final int HEIGHT = 440;

    private EvalCharts() {}

    public static void write(Path dir, List<EvalRun> runs) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, List<EvalRun>> byArm = EvalReport.byArm(runs);
        save(perRound(byArm), dir.resolve(PER_ROUND));
        save(vsEpsilon(byArm), dir.resolve(VS_EPSILON));
        save(perClient(byArm), dir.resolve(PER_CLIENT));
    }

    private static void save(Chart<?, ?> chart, Path file) throws IOException {
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart perRound(Map<String, List<EvalRun>> byArm) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Held-out metric per round: mean and standard deviation over " + seeds(byArm) + " seeds")
                .xAxisTitle("round").yAxisTitle("exact match (%)").build();
        byArm.forEach((arm, rs) -> {
            int rounds = rs.get(0).metric().size();
            double[] x = new double[rounds];
            double[] y = new double[rounds];
            double[] spread = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                x[r] = r;
                final int round = r;
                double[] values = rs.stream().mapToDouble(run -> 100 * run.metric().get(round)).toArray();
                y[r] = mean(values);
                spread[r] = sampleStdDev(values);
            }
            chart.addSeries(arm, x, y, spread);
        });
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0).setXAxisDecimalPattern("0");
        return chart;
    }

    private static XYChart vsEpsilon(Map<String, List<EvalRun>> byArm) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Final metric against epsilon per client (mean over " + seeds(byArm) + " seeds)")
                .xAxisTitle("epsilon (delta 1e-5)").yAxisTitle("exact match (%)").build();
        double maxEps = 8;
        boolean any = false;
        // Record-level DP-SGD and client-level DP are different guarantees: one line each, with its own reference.
        for (EvalArm.Kind kind : List.of(EvalArm.Kind.FEDERATED, EvalArm.Kind.CLIENT_DP)) {
            List<Double> eps = new ArrayList<>();
            List<Double> em = new ArrayList<>();
            byArm.forEach((arm, rs) -> {
                boolean ofKind = EvalArm.byName(arm).map(a -> a.kind() == kind).orElse(false);
                if (ofKind && !Double.isNaN(rs.get(0).epsilon())) {
                    eps.add(rs.get(0).epsilon());
                    em.add(100 * mean(rs));
                }
            });
            if (!eps.isEmpty()) {
                String name = kind == EvalArm.Kind.FEDERATED ? "record-level DP-SGD" : "client-level DP (many clients)";
                chart.addSeries(name, eps, em).setMarker(SeriesMarkers.CIRCLE);
                maxEps = Math.max(maxEps, eps.stream().mapToDouble(Double::doubleValue).max().orElse(8));
                any = true;
            }
        }
        List<EvalRun> many = byArm.get("many-clients");
        if (many != null) {
            double y = 100 * mean(many);
            chart.addSeries("many clients, no DP", new double[] {0, maxEps}, new double[] {y, y})
                    .setMarker(SeriesMarkers.NONE);
        }
        List<EvalRun> reference = byArm.get(EvalArm.REFERENCE);
        if (reference != null) {
            double y = 100 * mean(reference);
            chart.addSeries("federated, no DP", new double[] {0, maxEps}, new double[] {y, y}).setMarker(SeriesMarkers.NONE);
        }
        if (!any && reference == null && many == null) {
            chart.addSeries("no runs with epsilon", new double[] {0}, new double[] {0});
        }
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        return chart;
    }

    private static CategoryChart perClient(Map<String, List<EvalRun>> byArm) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Each client alone against the federated model (mean over " + seeds(byArm) + " seeds)").xAxisTitle("client").yAxisTitle("exact match (%)")
                .build();
        List<EvalRun> local = byArm.get("local");
        List<EvalRun> federated = byArm.get(EvalArm.REFERENCE);
        int clients = local != null ? local.get(0).perClient().size() : 1;
        List<String> names = new ArrayList<>();
        List<Double> alone = new ArrayList<>();
        List<Double> fed = new ArrayList<>();
        for (int k = 0; k < clients; k++) {
            names.add("client " + (k + 1));
            final int client = k;
            alone.add(local == null ? 0 : 100 * local.stream().mapToDouble(r -> r.perClient().get(client)).average().orElse(0));
            fed.add(federated == null ? 0 : 100 * mean(federated));
        }
        chart.addSeries("local only", names, alone);
        chart.addSeries("federated", names, fed);
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        return chart;
    }

    /** The seed counts of the arms drawn, e.g. "3" or "1-3". */
    private static String seeds(Map<String, List<EvalRun>> byArm) {
        int min = byArm.values().stream().mapToInt(List::size).min().orElse(0);
        int max = byArm.values().stream().mapToInt(List::size).max().orElse(0);
        return min == max ? Integer.toString(min) : min + "-" + max;
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return v.length == 0 ? Double.NaN : sum / v.length;
    }

    private static double sampleStdDev(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double ss = 0;
        for (double x : v) {
            ss += (x - m) * (x - m);
        }
        return Math.sqrt(ss / (v.length - 1));
    }

    private static double mean(List<EvalRun> rs) {
        return rs.stream().mapToDouble(EvalRun::finalMetric).average().orElse(Double.NaN);
    }
}
