package dev.emend.eval.metrics;

/**
 * EasyEdit's locality (easyedit-reference §2.3, {@code editor.py} after the post pass): for one locality probe, the
 * share of answer positions whose argmax token after the edit equals the argmax token before it, both taken
 * teacher-forced on {@code loc_prompt + " " + loc_ground_truth} ({@link TeacherForced}). The ground truth supplies
 * only the context and the number of positions; it is never compared. EasyEdit's README example: before
 * {@code [29, 234, 334]}, after {@code [29, 234, 333]} gives 2/3.
 */
public final class Locality {
    private Locality() {}

    /**
     * @param before argmax tokens of the unedited model at the answer positions
     * @param after argmax tokens of the edited model at the same positions
     * @return the share of equal positions, in [0,1]
     */
    public static double agreement(int[] before, int[] after) {
        if (before.length != after.length || before.length == 0) {
            throw new IllegalArgumentException("pre and post locality outputs must have the same, non-zero length; got %d and %d"
                    .formatted(before.length, after.length));
        }
        int same = 0;
        for (int i = 0; i < before.length; i++) {
            same += before[i] == after[i] ? 1 : 0;
        }
        return (double) same / before.length;
    }
}
