# models.gp — shared by every chart: the one-colour-per-model palette, the CSV settings, the
# command-line arguments (DATA OUT.png [MACHINE] [WORKLOAD]) and the two output terminals.
# Loaded by the chart scripts; not a chart itself.
#
# After loading: data, out (PNG path), svgout (same path, .svg), machine (subtitle text),
# workload (per-workload charts), and
#   model_name(i), i = 1..nmodels      the models in a fixed order
#   model_index(name)                  1..nmodels, or 0 for an unknown model
#   linetype i                         model i's colour, on every chart
#   set_term(k)                        k = 1: pngcairo 1200x800 to out; k = 2: svg to svgout

models = "single threads thread-pool processes process-pool async"
nmodels = 6
model_name(i) = word(models, i)
model_index(m) = m eq "single" ? 1 : m eq "threads" ? 2 : m eq "thread-pool" ? 3 : \
                 m eq "processes" ? 4 : m eq "process-pool" ? 5 : m eq "async" ? 6 : 0
# Threads in blues, processes in oranges, async green, the single-thread baseline grey
# (Okabe-Ito colours, readable with the common colour-vision deficiencies).
model_colors = "#707070 #0072b2 #56b4e9 #d55e00 #e69f00 #009e73"
model_color(i) = word(model_colors, i)
do for [i = 1:nmodels] {
    eval sprintf('set linetype %d lc rgb "%s" lw 2 pt 7 ps 1.1 dt solid', i, model_color(i))
}
# Linetype 9: reference lines and ideals (dark grey).
set linetype 9 lc rgb "#404040" lw 1.5 dt 2

set datafile separator comma
set encoding utf8

# `load` hides ARGn: each chart copies them first (args = ARGC, arg1 = ARG1 ... arg4 = ARG4).
if (args < 2) {
    print "usage: gnuplot -c SCRIPT.gp DATA.csv OUT.png [MACHINE-SUBTITLE] [WORKLOAD]"
    exit status 2
}
data = arg1
out = arg2
machine = (args >= 3 && strlen(arg3) > 0) ? arg3 : "machine not given (pass it as the third argument)"
arg_workload = args >= 4 ? arg4 : ""
png_suffix = strlen(out) > 4 ? out[strlen(out) - 3:] : ""
svgout = png_suffix eq ".png" ? out[1:strlen(out) - 4] . ".svg" : out . ".svg"

# The workload of a per-workload chart: the fourth argument, else the part of the output file name
# after the last '-' (scaling-sleep.png -> sleep).
last_after_dash(s) = strstrt(s, "-") > 0 ? last_after_dash(s[strstrt(s, "-") + 1:]) : s
strip_png(s) = (strlen(s) > 4 && s[strlen(s) - 3:] eq ".png") ? s[1:strlen(s) - 4] : s
workload = strlen(arg_workload) > 0 ? arg_workload : strip_png(last_after_dash(out))

# split_rows: for each model i, datablock $m<i> gets the columns split_cols (a using spec) of the
# rows of data where split_if (an expression) holds, sorted as in the file; `have` lists the
# indices of the models with rows ("2 3 5"), so a chart plots only what exists, without warnings.
# Use: split_if = '...'; split_cols = '...'; eval split_rows
split_rows = 'have = ""; do for [i = 1:nmodels] { eval sprintf("set table $m%d separator comma", i); plot data using @split_cols with table if (@split_if && model_index(strcol(3)) == i); unset table; eval sprintf("rows = |$m%d|", i); if (rows > 0) { have = have . sprintf(" %d", i) } }'
block(i) = sprintf("$m%d", i)

# The paths stay variables inside the command: spliced into its text, a folder name holding a
# quote or a backquote would be run as gnuplot (and, through backquotes, shell) commands.
set_term(k) = k == 1 ? \
    'set terminal pngcairo size 1200,800 enhanced font "DejaVu Sans,12"; set output out' : \
    'set terminal svg size 1200,800 enhanced font "DejaVu Sans,12" background rgb "white"; set output svgout'

# The title (each chart sets chart_title, then eval heading) and the machine line under it
# (noenhanced: CPU names may hold characters like '_' or '@').
heading = 'set label 101 chart_title at screen 0.5, screen 0.965 center font ",16"'
set label 100 machine at screen 0.5, screen 0.925 center noenhanced font ",11" tc rgb "#404040"
set tmargin 6
set grid ytics lc rgb "#dddddd" lw 1 dt solid
# Tics for log axes in 1-2-5 steps; times labelled in human units.
log_time_tics = 'set ytics ("1 µs" 1e-6, "2 µs" 2e-6, "5 µs" 5e-6, "10 µs" 1e-5, "20 µs" 2e-5, "50 µs" 5e-5, "100 µs" 1e-4, "200 µs" 2e-4, "500 µs" 5e-4, "1 ms" 1e-3, "2 ms" 2e-3, "5 ms" 5e-3, "10 ms" 0.01, "20 ms" 0.02, "50 ms" 0.05, "100 ms" 0.1, "200 ms" 0.2, "500 ms" 0.5, "1 s" 1, "2 s" 2, "5 s" 5, "10 s" 10, "20 s" 20, "50 s" 50, "100 s" 100, "200 s" 200, "500 s" 500, "1000 s" 1000)'
log_count_tics = 'set xtics (1, 2, 5, 10, 20, 50, 100, 200, 500, "1k" 1000, "2k" 2000, "5k" 5000, "10k" 10000, "20k" 20000, "50k" 50000, "100k" 100000)' 
set border 3
set pointintervalbox 0.001      # no white gap around the point of an error bar
set tics nomirror
