# compare.gp — `concbench compare --out DIR`: the ratio of medians B/A of every common cell with
# its 95 % bootstrap interval, log scale, cells grouped by workload (column x leaves a gap
# between workloads) and coloured by model (model_rgb); above 1 B is slower, below 1 faster;
# dashed lines at 1 ± the threshold.
# usage: gnuplot [-e "threshold=0.1"] -c plots/compare.gp compare.csv OUT.png [SUBTITLE]
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ""; arg5 = ""; arg6 = ""
load script_dir . "/models.gp"
if (!exists("threshold")) { threshold = 0.10 }

scan_file = data
scan_if = 'column("ratio") > 0'
eval scan_models

stats data using (column("ratio") > 0 ? column("x") : NaN):(column("ratio") > 0 ? column("ci_low") : NaN) nooutput
if (STATS_records == 0 || !(STATS_max_x > 0)) {
    print sprintf("compare.gp: no compared cells in %s", data)
    exit status 1
}
x_max = STATS_max_x
y_lo = STATS_min_y
stats data using (column("ratio") > 0 ? column("ci_high") : NaN) nooutput
y_hi = STATS_max
y_lo = (y_lo < 1 - 2 * threshold ? y_lo : 1 - 2 * threshold) / 1.25
y_hi = (y_hi > 1 + 2 * threshold ? y_hi : 1 + 2 * threshold) * 1.25
# Symmetric around 1 on the log scale, so both halves read alike.
span = (1 / y_lo > y_hi) ? 1 / y_lo : y_hi
y_lo = 1 / span
y_hi = span

chart_title = "B against A: ratio of median wall times per cell"
eval heading
set logscale y 10
set yrange [y_lo:y_hi]
set xrange [0:x_max + 1]
set ylabel "B / A (log scale; above 1: B is slower, below 1: B is faster)"
set format y "%g"
set ytics ("0.01" 0.01, "0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "0.8" 0.8, "1" 1, "1.25" 1.25, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100)
set grid ytics lc rgb "#e4e4e4"
set xtics rotate by 60 right font ",9" nomirror
set bmargin 8
set key top left Left reverse samplen 1 box lc rgb "#cccccc" noenhanced

# The two halves, shaded and labelled.
set object 1 rectangle from graph 0, first 1 to graph 1, first y_hi fc rgb "#fdecec" fs solid 1.0 noborder behind
set object 2 rectangle from graph 0, first y_lo to graph 1, first 1 fc rgb "#eaf6ea" fs solid 1.0 noborder behind
set label 11 "B slower ↑" at graph 0.99, first (y_hi ** 0.85) right font ",13" tc rgb "#b00000"
set label 12 "B faster ↓" at graph 0.99, first (y_lo ** 0.85) right font ",13" tc rgb "#006000"

set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#404040" lw 1.5 front
set arrow 2 from graph 0, first (1 + threshold) to graph 1, first (1 + threshold) nohead lc rgb "#808080" dt 2 front
set arrow 3 from graph 0, first (1 - threshold) to graph 1, first (1 - threshold) nohead lc rgb "#808080" dt 2 front

do for [k = 1:2] {
    eval set_term(k)
    plot data using (column("x")):(column("ratio") > 0 ? column("ratio") : NaN):(column("ci_low")):(column("ci_high")):(int(column("model_rgb"))):xtic(strcol("label")) \
             with yerrorbars lc rgb variable lw 2 pt 7 ps 1.2 notitle, \
         data using (or_nan(column("group_x"))):(y_hi ** 0.93):(strcol("workload")) \
             with labels font ",12" tc rgb "#202020" notitle, \
         for [i = 1:nmodels] NaN with points lt i pt 7 ps 1.2 title M_name[i]
}
set output
