-- fct_edges_load: creates TEMP TABLE tmp_edges from the registered Arrow table `edges_src`:
-- one row per (customer, edge on its path from the root) with the buyer's plan terms.
-- Columns: x_CustomerId, x_Depth, x_SellerId, x_BuyerId, plan_id, buyer_ccy, seller_ccy,
-- credits, commitments, share_frac DECIMAL(20,10). No parameters.
CREATE OR REPLACE TEMP TABLE tmp_edges AS SELECT * FROM edges_src;
