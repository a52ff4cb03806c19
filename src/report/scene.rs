//! A picture as a list of shapes, drawn the same way to a bitmap (PNG and
//! GIF frames, through plotters) and to SVG (files and the report, by
//! hand, so a school's colour can be animated over the years).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt::Write as _;

/// A colour.
pub type Rgb = (u8, u8, u8);

/// Horizontal alignment of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// One shape, in picture pixels.
#[derive(Clone, Debug)]
pub enum Shape {
    Line {
        a: (f64, f64),
        b: (f64, f64),
        color: Rgb,
        alpha: f64,
        width: f64,
    },
    Circle {
        c: (f64, f64),
        r: f64,
        fill: Rgb,
        fill_alpha: f64,
        stroke: Option<(Rgb, f64)>,
        /// The school drawn, so an animation can recolour it.
        school: Option<u32>,
    },
    Rect {
        x0: f64,
        y0: f64,
        x1: f64,
        y1: f64,
        fill: Option<(Rgb, f64)>,
        stroke: Option<(Rgb, f64)>,
    },
    /// A line of text, vertically centred on `at`.
    Text {
        at: (f64, f64),
        text: String,
        size: f64,
        color: Rgb,
        anchor: Anchor,
        bold: bool,
    },
}

/// A picture: its size in pixels, a title (for accessibility) and shapes
/// in drawing order.
#[derive(Clone, Debug)]
pub struct Scene {
    pub w: f64,
    pub h: f64,
    pub title: String,
    pub shapes: Vec<Shape>,
}

/// ab_glyph draws text smaller than its nominal size; this factor makes a
/// bitmap's text as large as the SVG's.
const FONT_K: f64 = 1.24;
const FONT: &str = "sans-serif";

fn rgba(c: Rgb, a: f64) -> RGBAColor {
    RGBAColor(c.0, c.1, c.2, a)
}

/// Draw a scene on a plotters area, scaled by `scale`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scene: &Scene,
    scale: f64,
) -> Result<(), String> {
    crate::charts::register_fonts();
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let p = |v: (f64, f64)| ((v.0 * scale).round() as i32, (v.1 * scale).round() as i32);
    for s in &scene.shapes {
        match s {
            Shape::Line {
                a,
                b,
                color,
                alpha,
                width,
            } => {
                let style = ShapeStyle {
                    color: rgba(*color, *alpha),
                    filled: false,
                    stroke_width: ((width * scale).round() as u32).max(1),
                };
                root.draw(&PathElement::new(vec![p(*a), p(*b)], style))
                    .map_err(e)?;
            }
            Shape::Circle {
                c,
                r,
                fill,
                fill_alpha,
                stroke,
                ..
            } => {
                let rr = ((r * scale).round() as i32).max(1);
                root.draw(&Circle::new(p(*c), rr, rgba(*fill, *fill_alpha).filled()))
                    .map_err(e)?;
                if let Some((sc, w)) = stroke {
                    let style = ShapeStyle {
                        color: rgba(*sc, 1.0),
                        filled: false,
                        stroke_width: ((w * scale).round() as u32).max(1),
                    };
                    root.draw(&Circle::new(p(*c), rr, style)).map_err(e)?;
                }
            }
            Shape::Rect {
                x0,
                y0,
                x1,
                y1,
                fill,
                stroke,
            } => {
                let (a, b) = (p((*x0, *y0)), p((*x1, *y1)));
                if let Some((c, al)) = fill {
                    root.draw(&Rectangle::new([a, b], rgba(*c, *al).filled()))
                        .map_err(e)?;
                }
                if let Some((c, w)) = stroke {
                    let style = ShapeStyle {
                        color: rgba(*c, 1.0),
                        filled: false,
                        stroke_width: ((w * scale).round() as u32).max(1),
                    };
                    root.draw(&Rectangle::new([a, b], style)).map_err(e)?;
                }
            }
            Shape::Text {
                at,
                text,
                size,
                color,
                anchor,
                bold,
            } => {
                let h = match anchor {
                    Anchor::Start => HPos::Left,
                    Anchor::Middle => HPos::Center,
                    Anchor::End => HPos::Right,
                };
                let style = FontDesc::new(
                    FontFamily::Name(FONT),
                    size * FONT_K * scale,
                    if *bold {
                        FontStyle::Bold
                    } else {
                        FontStyle::Normal
                    },
                )
                .color(&RGBColor(color.0, color.1, color.2))
                .pos(Pos::new(h, VPos::Center));
                root.draw(&Text::new(text.clone(), p(*at), style))
                    .map_err(e)?;
            }
        }
    }
    Ok(())
}

/// Escape text for HTML and SVG.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `#rrggbb`.
pub fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

fn f1(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// An animation of school colours: one colour per school per frame, and
/// one label per frame, shown `seconds_per_frame` each, looping.
pub struct Animation<'a> {
    pub frames: &'a [Vec<Rgb>],
    pub labels: &'a [Shape],
    pub seconds_per_frame: f64,
    /// `Some(id)`: the picture shows its own colours (the last frame) and
    /// plays once, ending there, when the "play" button (given this id) is
    /// clicked; `None`: it loops from the first frame.
    pub play_button: Option<String>,
}

/// The scene as SVG. `standalone` adds the XML namespace (for a file);
/// inline SVG in HTML does not need it. With `anim`, every school's fill
/// steps through the frames' colours, and the frame labels take turns.
pub fn svg(scene: &Scene, standalone: bool, anim: Option<&Animation>) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"{}\"{} font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\">",
        f1(scene.w),
        f1(scene.h),
        f1(scene.w),
        f1(scene.h),
        esc(&scene.title),
        if standalone {
            " xmlns=\"http://www.w3.org/2000/svg\""
        } else {
            ""
        }
    );
    let _ = write!(
        o,
        "<title>{}</title><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
        esc(&scene.title)
    );
    let dur = anim.map(|a| a.seconds_per_frame * a.frames.len() as f64);
    for s in &scene.shapes {
        shape_svg(&mut o, s, anim, dur);
    }
    if let (Some(a), Some(dur)) = (anim, dur) {
        let n = a.labels.len();
        for (k, label) in a.labels.iter().enumerate() {
            let values: Vec<&str> = (0..n).map(|j| if j == k { "1" } else { "0" }).collect();
            let mut t = String::new();
            shape_svg(&mut t, label, None, None);
            // Insert the opacity animation inside the text element.
            if let Some(pos) = t.rfind("</text>") {
                let anim_el = format!(
                    "<animate attributeName=\"opacity\" dur=\"{}s\" values=\"{}\" calcMode=\"discrete\"{}/>",
                    f1(dur),
                    values.join(";"),
                    timing(a)
                );
                t.insert_str(pos, &anim_el);
                let shown_first = if a.play_button.is_some() { n - 1 } else { 0 };
                let open = if k == shown_first { "1" } else { "0" };
                t = t.replacen("<text ", &format!("<text opacity=\"{open}\" "), 1);
            }
            o.push_str(&t);
        }
        if let Some(id) = &a.play_button {
            let (x, y) = (scene.w - 300.0, scene.h - 76.0);
            let _ = write!(
                o,
                "<g id=\"{}\" style=\"cursor:pointer\"><rect x=\"{}\" y=\"{}\" width=\"270\" height=\"52\" rx=\"8\" fill=\"#0b5394\"/><text x=\"{}\" y=\"{}\" font-size=\"23\" fill=\"#ffffff\" text-anchor=\"middle\" dominant-baseline=\"central\" font-weight=\"bold\">\u{25B6} Play the years</text></g>",
                esc(id),
                f1(x),
                f1(y),
                f1(x + 135.0),
                f1(y + 26.0)
            );
        }
    }
    o.push_str("</svg>");
    o
}

/// When an animation runs: on a click of its button, once, ending on the
/// last frame; or from the start, looping.
fn timing(a: &Animation) -> String {
    match &a.play_button {
        Some(id) => format!(" begin=\"{}.click\" fill=\"freeze\"", esc(id)),
        None => " repeatCount=\"indefinite\"".to_string(),
    }
}

fn shape_svg(o: &mut String, s: &Shape, anim: Option<&Animation>, dur: Option<f64>) {
    match s {
        Shape::Line {
            a,
            b,
            color,
            alpha,
            width,
        } => {
            let _ = write!(
                o,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-opacity=\"{:.2}\" stroke-width=\"{}\"/>",
                f1(a.0),
                f1(a.1),
                f1(b.0),
                f1(b.1),
                hex(*color),
                alpha,
                f1(*width)
            );
        }
        Shape::Circle {
            c,
            r,
            fill,
            fill_alpha,
            stroke,
            school,
        } => {
            let st = match stroke {
                Some((sc, w)) => format!(" stroke=\"{}\" stroke-width=\"{}\"", hex(*sc), f1(*w)),
                None => String::new(),
            };
            let op = if *fill_alpha < 1.0 {
                format!(" fill-opacity=\"{fill_alpha:.2}\"")
            } else {
                String::new()
            };
            let animated = match (anim, school, dur) {
                (Some(a), Some(i), Some(dur)) => {
                    let vals: Vec<String> = a
                        .frames
                        .iter()
                        .map(|f| hex(f.get(*i as usize).copied().unwrap_or(*fill)))
                        .collect();
                    Some(format!(
                        "<animate attributeName=\"fill\" dur=\"{}s\" values=\"{}\" calcMode=\"discrete\"{}/>",
                        f1(dur),
                        vals.join(";"),
                        timing(a)
                    ))
                }
                _ => None,
            };
            let start_fill = match (anim, school) {
                (Some(a), Some(i)) if a.play_button.is_none() => a
                    .frames
                    .first()
                    .and_then(|f| f.get(*i as usize).copied())
                    .unwrap_or(*fill),
                _ => *fill,
            };
            let _ = write!(
                o,
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"{op}{st}",
                f1(c.0),
                f1(c.1),
                f1(*r),
                hex(start_fill)
            );
            match animated {
                Some(a) => {
                    let _ = write!(o, ">{a}</circle>");
                }
                None => o.push_str("/>"),
            }
        }
        Shape::Rect {
            x0,
            y0,
            x1,
            y1,
            fill,
            stroke,
        } => {
            let f = match fill {
                Some((c, a)) => format!(" fill=\"{}\" fill-opacity=\"{a:.2}\"", hex(*c)),
                None => " fill=\"none\"".to_string(),
            };
            let st = match stroke {
                Some((c, w)) => format!(" stroke=\"{}\" stroke-width=\"{}\"", hex(*c), f1(*w)),
                None => String::new(),
            };
            let _ = write!(
                o,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{f}{st}/>",
                f1(x0.min(*x1)),
                f1(y0.min(*y1)),
                f1((x1 - x0).abs()),
                f1((y1 - y0).abs())
            );
        }
        Shape::Text {
            at,
            text,
            size,
            color,
            anchor,
            bold,
        } => {
            let a = match anchor {
                Anchor::Start => "start",
                Anchor::Middle => "middle",
                Anchor::End => "end",
            };
            let _ = write!(
                o,
                "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\" text-anchor=\"{a}\" dominant-baseline=\"central\"{}>{}</text>",
                f1(at.0),
                f1(at.1),
                f1(*size),
                hex(*color),
                if *bold { " font-weight=\"bold\"" } else { "" },
                esc(text)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Scene {
        Scene {
            w: 200.0,
            h: 100.0,
            title: "a <demo>".into(),
            shapes: vec![
                Shape::Line {
                    a: (0.0, 0.0),
                    b: (10.0, 10.0),
                    color: (0, 0, 0),
                    alpha: 0.5,
                    width: 1.0,
                },
                Shape::Circle {
                    c: (50.0, 50.0),
                    r: 5.0,
                    fill: (255, 0, 0),
                    fill_alpha: 1.0,
                    stroke: None,
                    school: Some(0),
                },
                Shape::Text {
                    at: (5.0, 90.0),
                    text: "A & B".into(),
                    size: 12.0,
                    color: (0, 0, 0),
                    anchor: Anchor::Start,
                    bold: false,
                },
            ],
        }
    }

    #[test]
    fn svg_escapes_text_and_animates_schools() {
        let s = svg(&demo(), false, None);
        assert!(s.starts_with("<svg "));
        assert!(s.contains("a &lt;demo&gt;"));
        assert!(s.contains("A &amp; B"));
        assert!(!s.contains("http"));
        let frames = vec![vec![(1, 2, 3)], vec![(4, 5, 6)]];
        let labels = vec![
            Shape::Text {
                at: (0.0, 0.0),
                text: "year 0".into(),
                size: 10.0,
                color: (0, 0, 0),
                anchor: Anchor::Start,
                bold: false,
            },
            Shape::Text {
                at: (0.0, 0.0),
                text: "year 1".into(),
                size: 10.0,
                color: (0, 0, 0),
                anchor: Anchor::Start,
                bold: false,
            },
        ];
        let a = svg(
            &demo(),
            true,
            Some(&Animation {
                frames: &frames,
                labels: &labels,
                seconds_per_frame: 1.0,
                play_button: None,
            }),
        );
        assert!(a.contains("values=\"#010203;#040506\""));
        assert!(a.contains("xmlns="));
        assert_eq!(a.matches("attributeName=\"opacity\"").count(), 2);
    }

    #[test]
    fn bitmap_drawing_succeeds() {
        let mut buf = vec![0u8; 200 * 100 * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (200, 100)).into_drawing_area();
            draw(&root, &demo(), 1.0).unwrap();
            root.present().unwrap();
        }
        assert!(buf.iter().any(|&b| b != 255));
    }
}
