/* Yiyang charts: a thin layer over the vendored ECharts so every page draws alike.
 *
 * YiyangCharts.draw(element, kind, data, {dark: bool}) with kind one of
 *   "line"    {labels, values, name, unit, target?}
 *   "bar"     {labels, values}
 *   "pie"     {items: [{name, value}]}
 *   "pyramid" {labels, male, female, maleName, femaleName}
 *   "spark"   [numbers or null]
 * The numbers always come from a table the page shows beside the chart (accessibility), so
 * the charts carry no information of their own. Charts redraw on resize.
 */
(function () {
  "use strict";
  var PALETTE = ["#1f6f8b", "#b4402a", "#2e7d32", "#b26a00", "#6a4c93", "#00838f", "#8d6e63", "#c2185b", "#546e7a", "#7cb342"];
  var charts = [];
  function base(dark) {
    var fg = dark ? "#d7e3f4" : "#1d2733";
    return {
      color: PALETTE,
      textStyle: {color: fg, fontFamily: "system-ui, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"},
      grid: {left: 8, right: 16, top: 28, bottom: 8, containLabel: true},
      // Tooltips drawn on the canvas: HTML tooltips carry style attributes, which the
      // Content-Security-Policy (no inline styles) would strip.
      tooltip: {trigger: "axis", confine: true, renderMode: "richText"},
      animation: false,
    };
  }
  function axisStyle(dark) {
    var line = dark ? "#34465e" : "#d9dee5";
    return {axisLine: {lineStyle: {color: line}}, splitLine: {lineStyle: {color: line}}};
  }
  function merge(target, extra) { for (var k in extra) target[k] = extra[k]; return target; }
  function option(kind, data, dark) {
    var o = base(dark), ax = axisStyle(dark);
    if (kind === "line") {
      var series = [{type: "line", name: data.name, data: data.values, connectNulls: false, symbolSize: 5, areaStyle: {opacity: 0.08}}];
      if (data.target !== null && data.target !== undefined) {
        series[0].markLine = {symbol: "none", label: {formatter: String(data.target)}, lineStyle: {type: "dashed", color: "#b26a00"}, data: [{yAxis: data.target}]};
      }
      return merge(o, {xAxis: merge({type: "category", data: data.labels}, ax), yAxis: merge({type: "value", name: data.unit, scale: true}, ax), series: series});
    }
    if (kind === "bar") {
      return merge(o, {grid: {left: 8, right: 24, top: 8, bottom: 8, containLabel: true}, xAxis: merge({type: "value"}, ax), yAxis: merge({type: "category", data: data.labels, inverse: true}, ax),
        series: [{type: "bar", data: data.values, label: {show: true, position: "right"}}]});
    }
    if (kind === "pie") {
      o.tooltip = {trigger: "item", confine: true, renderMode: "richText"};
      return merge(o, {legend: {bottom: 0, type: "scroll", textStyle: {color: o.textStyle.color}},
        series: [{type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"], data: data.items, label: {formatter: "{b}\n{c}"}}]});
    }
    if (kind === "pyramid") {
      var male = data.male.map(function (v) { return -v; });
      o.tooltip = {trigger: "axis", axisPointer: {type: "shadow"}, confine: true, renderMode: "richText",
        valueFormatter: function (v) { return Math.abs(v); }};
      return merge(o, {legend: {top: 0, textStyle: {color: o.textStyle.color}},
        xAxis: merge({type: "value", axisLabel: {formatter: function (v) { return Math.abs(v); }}}, ax),
        yAxis: merge({type: "category", data: data.labels}, ax),
        series: [
          {type: "bar", name: data.maleName, stack: "p", data: male, itemStyle: {color: "#1f6f8b"}},
          {type: "bar", name: data.femaleName, stack: "p", data: data.female, itemStyle: {color: "#b4402a"}}
        ]});
    }
    if (kind === "spark") {
      return {animation: false, grid: {left: 0, right: 0, top: 2, bottom: 2}, xAxis: {type: "category", show: false, data: data.map(function (_v, i) { return i; })},
        yAxis: {type: "value", show: false, scale: true}, series: [{type: "line", data: data, symbol: "none", lineStyle: {width: 2, color: dark ? "#5fb3ff" : "#1f6f8b"}, areaStyle: {opacity: 0.1}}]};
    }
    return o;
  }
  function draw(element, kind, data, options) {
    if (!element || !window.echarts || data === undefined || data === null) return null;
    var dark = !!(options && options.dark);
    var chart = echarts.getInstanceByDom(element) || echarts.init(element, null, {renderer: "canvas"});
    chart.setOption(option(kind, data, dark), true);
    if (charts.indexOf(chart) < 0) charts.push(chart);
    element.setAttribute("data-drawn", "1");
    return chart;
  }
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 100);
  });
  /* A colour for a value between min and max, light to dark (better is darker). */
  function shade(value, min, max, higherBetter) {
    if (value === null || value === undefined || !isFinite(value)) return "#e3e7ec";
    var t = max > min ? (value - min) / (max - min) : 0.5;
    if (!higherBetter) t = 1 - t;
    var stops = [[239, 243, 255], [189, 215, 231], [107, 174, 214], [49, 130, 189], [8, 81, 156]];
    var x = t * (stops.length - 1), i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
    var c = stops[i].map(function (a, k) { return Math.round(a + f * (stops[i + 1][k] - a)); });
    return "rgb(" + c.join(",") + ")";
  }
  window.YiyangCharts = {draw: draw, shade: shade};
})();
