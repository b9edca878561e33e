//! The demo brands' master data: products with pictures drawn here (no downloads), and the
//! places their goods pass, in named cities, loaded through the registry's CSV import and
//! image upload as a brand would.

use anyhow::Result;

use crate::{milk, put, tea, yoghurt, Tokens};

/// Demo Dairy's farm, where the raw milk is collected (its events name it).
pub const FARM: &str = "urn:epc:id:sgln:6901234.00005.0";
/// Where the demo's milk is made and labelled.
pub const PLANT: &str = "urn:epc:id:sgln:6901234.00001.0";
pub const WAREHOUSE: &str = "urn:epc:id:sgln:6901234.00002.0";
pub const SHOP: &str = "urn:epc:id:sgln:6901234.10001.0";
pub const TEA_GARDEN: &str = "urn:epc:id:sgln:6904560.00001.0";

/// The milk's English name, as the page shows it.
pub const MILK_NAME_EN: &str = "Whole milk";
pub const MILK_NAME_ZH: &str = "纯牛奶";
/// Long-life milk: a year and a half, so its units stay fresh in the demo.
pub const MILK_SHELF_LIFE_DAYS: u16 = 180;

/// Demo Dairy's products, as CSV (the registry's import, and the CLI's `--products`).
pub fn dairy_products() -> String {
    format!(
        "gtin,name_zh,name_en,net_content,shelf_life_days,storage_zh,storage_en,description_zh,\
         description_en,qc_report_url,brand_page_url\n\
         {milk},{MILK_NAME_ZH},{MILK_NAME_EN},250 mL,{MILK_SHELF_LIFE_DAYS},常温避光保存,\
         \"Store cool and dry, away from light\",内蒙古牧场生牛乳，超高温灭菌,\
         \"Raw milk from Inner Mongolian farms, UHT\",\
         https://lab.example.cn/reports/L2611A.pdf,https://dairy.example.cn/milk\n\
         {yoghurt},原味酸奶,Plain yoghurt,200 g,21,2–6 °C 冷藏,Keep refrigerated at 2–6 °C,,,,\n\
         06901234000016,生牛乳,Raw milk,,2,2–6 °C 冷藏,Keep refrigerated at 2–6 °C,,,,\n",
        milk = milk(),
        yoghurt = yoghurt(),
    )
}

/// Demo Dairy's places, as CSV.
pub fn dairy_places() -> String {
    format!(
        "id,name_zh,name_en,city_zh,city_en,address,region,role\n\
         {FARM},锡林郭勒第一牧场,Xilingol farm no. 1,锡林浩特,Xilinhot,,152502,farm\n\
         {PLANT},演示乳业呼和浩特工厂,Demo Dairy Hohhot plant,呼和浩特,Hohhot,\
         金川开发区 8 号,150100,plant\n\
         {WAREHOUSE},演示乳业上海仓,Demo Dairy Shanghai warehouse,上海,Shanghai,,310000,\
         warehouse\n\
         {SHOP},徐汇区便民超市,Xuhui neighbourhood market,上海,Shanghai,漕溪北路 1 号,310104,shop\n"
    )
}

/// Demo Tea's products, as CSV.
pub fn tea_products() -> String {
    format!(
        "gtin,name_zh,name_en,net_content,shelf_life_days,storage_zh,storage_en\n\
         {tea},西湖龙井,West Lake Longjing tea,100 g,540,密封避光，防潮,\
         \"Sealed, dry and away from light\"\n",
        tea = tea(),
    )
}

fn tea_places() -> String {
    format!(
        "id,name_zh,name_en,city_zh,city_en,region,role\n\
         {TEA_GARDEN},龙井村茶园,Longjing village tea garden,杭州,Hangzhou,330106,farm\n\
         {SHOP},徐汇区便民超市,Xuhui neighbourhood market,上海,Shanghai,310104,shop\n"
    )
}

/// A product picture: a carton (or a tea tin) in the product's colours, 128×128 PNG.
pub fn picture(body: [u8; 3], band: [u8; 3]) -> Vec<u8> {
    const SIZE: u32 = 128;
    let mut pixels = Vec::with_capacity((SIZE * SIZE * 3) as usize);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let inside = (32..96).contains(&x) && (16..120).contains(&y);
            let roof = (32..96).contains(&x)
                && (8..16).contains(&y)
                && (x as i32 - 64).abs() < 40 - (16 - y as i32) * 2;
            let colour = if inside && (60..84).contains(&y) {
                band
            } else if inside || roof {
                body
            } else {
                [0xee, 0xf1, 0xf4]
            };
            pixels.extend_from_slice(&colour);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, SIZE, SIZE);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .expect("writing a PNG header to memory cannot fail");
        writer
            .write_image_data(&pixels)
            .expect("the pixels fit the header");
    }
    out
}

/// The milk carton's picture.
pub fn milk_picture() -> Vec<u8> {
    picture([0xff, 0xff, 0xff], [0x1f, 0x6f, 0xc4])
}

/// Loads both brands' products, places and pictures (all idempotent).
pub async fn load(base: &str, tokens: &Tokens) -> Result<()> {
    for (token, products, places) in [
        (&tokens.dairy, dairy_products(), dairy_places()),
        (&tokens.tea, tea_products(), tea_places()),
    ] {
        crate::post(
            base,
            "/v1/master-data/products",
            Some(token),
            "text/csv",
            products,
        )
        .await?;
        crate::post(
            base,
            "/v1/master-data/places",
            Some(token),
            "text/csv",
            places,
        )
        .await?;
    }
    let pictures = [
        (
            &tokens.dairy,
            milk(),
            picture([0xff, 0xff, 0xff], [0x1f, 0x6f, 0xc4]),
        ),
        (
            &tokens.dairy,
            yoghurt(),
            picture([0xfb, 0xf3, 0xe4], [0xd9, 0x4f, 0x70]),
        ),
        (
            &tokens.tea,
            tea(),
            picture([0x2e, 0x6b, 0x3a], [0xe8, 0xd9, 0x9a]),
        ),
    ];
    for (token, gtin, png) in pictures {
        put(
            base,
            &format!("/v1/products/{gtin}/image"),
            token,
            "image/png",
            png,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_files_pass_the_registrys_checks() {
        let products = tracecode_wire::master::products_from_csv(dairy_products().as_bytes())
            .expect("dairy products");
        assert_eq!(products[0].name.text(true), MILK_NAME_EN);
        assert_eq!(products[0].links.len(), 2);
        tracecode_wire::master::places_from_csv(dairy_places().as_bytes()).expect("places");
        tracecode_wire::master::products_from_csv(tea_products().as_bytes()).expect("tea");
        tracecode_wire::master::places_from_csv(tea_places().as_bytes()).expect("tea places");
    }

    #[test]
    fn pictures_are_pngs() {
        let png = picture([1, 2, 3], [4, 5, 6]);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(png.len() < 4096, "{}", png.len());
    }
}
