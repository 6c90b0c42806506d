package dev.emend.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.emend.eval.metrics.SentimentMetric.Sketch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ConvSent's es and dd on hand-computed values. */
class SentimentMetricTest {

    /** Log-probabilities of the given probabilities, one position per row, row-major. */
    static float[] logs(double[]... rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            for (int v = 0; v < rows[r].length; v++) {
                out[r * rows[r].length + v] = (float) Math.log(rows[r][v]);
            }
        }
        return out;
    }

    @Test
    void meansArePooledOverTokensNotOverAnswers() {
        // answers of 2 and 1 tokens: pooled (−1 −3 −5)/3 = −3; a mean of per-answer means would give −3.5
        assertThat(SentimentMetric.pooledMean(List.of(new float[] {-1, -3}, new float[] {-5}))).isEqualTo(-3.0);
        assertThatThrownBy(() -> SentimentMetric.pooledMean(List.of(new float[0]))).hasMessageContaining("no answer token");
    }

    @Test
    void esIsZSentTimesZTopic() {
        // target −1, other −2 after the edit: z_sent = σ(1) = 0.7310585786
        assertThat(SentimentMetric.zSent(-1, -2)).isCloseTo(0.7310585786300049, within(1e-15));
        // the target answers got likelier (−1.5 → −1): z_topic is capped at 1
        assertThat(SentimentMetric.zTopic(-1, -1.5)).isEqualTo(1.0);
        // they got less likely (−1 → −2): z_topic = e^−1
        assertThat(SentimentMetric.zTopic(-2, -1)).isCloseTo(0.36787944117144233, within(1e-15));
        // es = σ(1)·e^−1 = 1/(1+e) = 0.2689414213699951
        assertThat(SentimentMetric.zSent(-2, -3) * SentimentMetric.zTopic(-2, -1)).isCloseTo(0.2689414213699951, within(1e-15));
        assertThat(SentimentMetric.zSent(-2, -2)).as("no preference").isEqualTo(0.5);
    }

    @Test
    void klOfOnePositionByHand() {
        float[] p = logs(new double[] {0.5, 0.25, 0.25});
        float[] q = logs(new double[] {0.25, 0.5, 0.25});
        // KL(p‖q) = 0.5 ln 2 + 0.25 ln 0.5 + 0 = 0.25 ln 2
        Sketch all = Sketch.of(p, 0, 3, 3);
        assertThat(all.exact()).isTrue();
        assertThat(all.klTo(q, 0)).isCloseTo(0.25 * Math.log(2), within(1e-7));
        assertThat(all.klTo(p, 0)).as("KL of a distribution with itself").isEqualTo(0.0);
        // top-1: token 0 (p .5, q .25) and the rest merged (p .5, q .75): 0.5 ln 2 + 0.5 ln(2/3) = 0.5 ln(4/3),
        // a lower bound of the full KL
        Sketch top1 = Sketch.of(p, 0, 3, 1);
        assertThat(top1.ids()).containsExactly(0);
        assertThat(top1.tailMass()).isCloseTo(0.5, within(1e-7));
        assertThat(top1.klTo(q, 0)).isCloseTo(0.5 * Math.log(4.0 / 3), within(1e-7)).isLessThan(all.klTo(q, 0));
        // top-2 keeps the two likeliest, most likely first
        assertThat(Sketch.of(logs(new double[] {0.1, 0.6, 0.3}), 0, 3, 2).ids()).containsExactly(1, 2);
    }

    @Test
    void ddIsTheMeanKlOverEveryPositionOfEveryAnswer() {
        double[] a = {0.5, 0.25, 0.25};
        double[] b = {0.25, 0.5, 0.25};
        double[] c = {0.8, 0.1, 0.1};
        double[] u = {1.0 / 3, 1.0 / 3, 1.0 / 3};
        // answer 1: one position (a vs b); answer 2: two positions (c vs u, a vs a)
        float[] pre1 = logs(a);
        float[] pre2 = logs(c, a);
        List<List<Sketch>> pre = List.of(List.of(Sketch.of(pre1, 0, 3, 3)),
                List.of(Sketch.of(pre2, 0, 3, 3), Sketch.of(pre2, 3, 3, 3)));
        double klAb = 0.25 * Math.log(2);
        double klCu = 0.8 * Math.log(0.8 * 3) + 0.2 * Math.log(0.1 * 3);
        double dd = SentimentMetric.dd(pre, List.of(logs(b), logs(u, a)));
        assertThat(dd).isCloseTo((klAb + klCu + 0) / 3, within(1e-6));
        assertThat(SentimentMetric.dd(pre, List.of(pre1, pre2))).as("same model before and after").isEqualTo(0.0);
        assertThatThrownBy(() -> SentimentMetric.dd(pre, List.of(logs(b)))).hasMessageContaining("1 post-edit");
        assertThatThrownBy(() -> SentimentMetric.dd(pre, List.of(logs(b), logs(u)))).hasMessageContaining("answer 1");
    }
}
